import Foundation

/// Helpers shared by the test suites: scratch directories, the repository root, and the Python
/// interpreter of the test environment (created by `make setup`) for cross-ecosystem checks.
public enum TestSupport {
    /// The repository root, found from this source file's location.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// A fresh, empty directory under the system temporary directory.
    public static func scratchDirectory(_ label: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("headscope-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The Python of the test venv: `$HEADSCOPE_TEST_PYTHON`, else `.venv-test/bin/python` in the
    /// repository. Tests that need it fail (they do not skip) when it is missing: run `make setup`.
    public static var python: URL {
        get throws {
            if let path = ProcessInfo.processInfo.environment["HEADSCOPE_TEST_PYTHON"] {
                return URL(fileURLWithPath: path)
            }
            let url = repositoryRoot.appendingPathComponent(".venv-test/bin/python")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw TestSupportError("no test Python at \(url.path): run `make setup` first")
            }
            return url
        }
    }

    /// The result of a finished subprocess.
    public struct ProcessResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs an executable with arguments and returns its exit status and output.
    @discardableResult
    public static func run(_ executable: URL, _ arguments: [String],
                           currentDirectory: URL? = nil,
                           environment: [String: String]? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a Python snippet in the test venv; throws with its stderr when it fails.
    @discardableResult
    public static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        let result = try run(try python, ["-c", script] + arguments)
        guard result.status == 0 else {
            throw TestSupportError("python failed (\(result.status)):\n\(result.stderr)")
        }
        return result.stdout
    }

    /// Runs a shell command line with /bin/sh; throws with its stderr when it fails.
    @discardableResult
    public static func shell(_ command: String, in directory: URL? = nil) throws -> String {
        let result = try run(URL(fileURLWithPath: "/bin/sh"), ["-c", command], currentDirectory: directory)
        guard result.status == 0 else {
            throw TestSupportError("`\(command)` failed (\(result.status)):\n\(result.stderr)")
        }
        return result.stdout
    }
}

/// An error raised by test helpers, carrying its explanation.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
