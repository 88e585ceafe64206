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

/// Golden tensors written by the reference scripts (`scripts/fixtures/*.py`) as safetensors files:
/// a small reader for tests, independent of the engine's own loader so the two check each other.
public struct GoldenTensors: Sendable {
    public struct Tensor: Sendable {
        public var shape: [Int]
        public var values: [Float]      // every dtype is widened to Float
        public var int64Values: [Int64] // filled for integer dtypes (exact), empty otherwise
    }
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Reads `Tests/Fixtures/<relativePath>` (or an absolute path).
    public init(_ relativePath: String) throws {
        let url = relativePath.hasPrefix("/") ? URL(fileURLWithPath: relativePath)
            : TestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(relativePath)")
        let data = try Data(contentsOf: url)
        guard data.count >= 8 else { throw TestSupportError("\(url.path): too short for safetensors") }
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = data.subdata(in: 8..<(8 + headerLength))
        guard let json = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw TestSupportError("\(url.path): header is not a JSON object")
        }
        let base = 8 + headerLength
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" { metadata = value as? [String: String] ?? [:]; continue }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int]
            else { throw TestSupportError("\(url.path): bad entry \(name)") }
            let bytes = data.subdata(in: (base + offsets[0])..<(base + offsets[1]))
            var floats: [Float] = []
            var ints: [Int64] = []
            bytes.withUnsafeBytes { raw in
                switch dtype {
                case "F32": floats = (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
                case "F64": floats = (0..<(raw.count / 8)).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
                case "F16": floats = (0..<(raw.count / 2)).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
                case "BF16": floats = (0..<(raw.count / 2)).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16) }
                case "I64": ints = (0..<(raw.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) }
                case "I32": ints = (0..<(raw.count / 4)).map { Int64(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
                case "U8": ints = raw.map { Int64($0) }
                case "BOOL": ints = raw.map { Int64($0) }
                default: break
                }
            }
            if floats.isEmpty && !ints.isEmpty { floats = ints.map { Float($0) } }
            tensors[name] = Tensor(shape: shape, values: floats, int64Values: ints)
        }
        self.tensors = tensors
        self.metadata = metadata
    }
}

/// Compares two float arrays elementwise: |a - b| <= absolute + relative * |b|. Returns a message
/// naming the worst element when they differ, nil when they agree.
public func mismatch(_ actual: [Float], _ expected: [Float], relative: Float = 1e-4,
                     absolute: Float = 1e-5, label: String = "") -> String? {
    guard actual.count == expected.count else {
        return "\(label): \(actual.count) values, expected \(expected.count)"
    }
    var worst = -1, worstExcess: Float = 0
    for i in actual.indices {
        let bound = absolute + relative * abs(expected[i])
        let excess = abs(actual[i] - expected[i]) - bound
        if !(excess <= 0) && (worst < 0 || excess > worstExcess || excess.isNaN) { worst = i; worstExcess = excess }
    }
    if worst < 0 { return nil }
    return "\(label): element \(worst) is \(actual[worst]), expected \(expected[worst]) (rel \(relative), abs \(absolute))"
}
