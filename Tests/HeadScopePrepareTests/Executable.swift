import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the real `headscope-prepare` executable, found in the build products directory next to
/// the test bundle.
///
/// Processes are started with posix_spawn and reaped with waitpid: Foundation's `Process` can
/// hang in `waitUntilExit` when called from an async test on Linux.
struct PrepareExecutable {
    static let url: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent("headscope-prepare")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return TestSupport.repositoryRoot.appendingPathComponent(".build/debug/headscope-prepare")
    }()

    struct Result {
        var status: Int32
        /// The signal that ended the process, if one did.
        var signal: Int32?
        var stdout: String
        var stderr: String
    }

    /// A started process whose output goes to files in `directory`.
    final class Running: @unchecked Sendable {
        let pid: pid_t
        let stdoutURL: URL, stderrURL: URL
        private var reaped: Result?

        init(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws {
            let token = UUID().uuidString.prefix(8)
            stdoutURL = directory.appendingPathComponent(".stdout-\(token)")
            stderrURL = directory.appendingPathComponent(".stderr-\(token)")
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, stdoutURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, stderrURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            // Run in `directory`: spawn /bin/sh to cd there, then exec the executable.
            let script = "cd \"$1\" && shift && exec \"$@\""
            let argv = ["/bin/sh", "-c", script, "sh", directory.path, PrepareExecutable.url.path] + arguments
            var env = ProcessInfo.processInfo.environment
            env["HEADSCOPE_PROGRESS"] = env["HEADSCOPE_PROGRESS"] ?? "log:0.05"
            for (k, v) in environment { env[k] = v }
            let envStrings = env.map { "\($0.key)=\($0.value)" }
            var cArgs = argv.map { strdup($0) } + [nil]
            var cEnv = envStrings.map { strdup($0) } + [nil]
            defer { for p in cArgs { free(p) }; for p in cEnv { free(p) } }
            var pid: pid_t = 0
            let status = posix_spawn(&pid, "/bin/sh", &actions, nil, &cArgs, &cEnv)
            guard status == 0 else { throw TestSupportError("posix_spawn failed: \(status)") }
            self.pid = pid
        }

        var stderrSoFar: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

        func kill(_ signal: Int32 = SIGKILL) { _ = Glibc.kill(pid, signal) }

        /// Waits for the process and returns its status and output.
        @discardableResult
        func wait() -> Result {
            if let reaped { return reaped }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let exited = (status & 0x7f) == 0
            let result = Result(status: exited ? (status >> 8) & 0xff : -1, signal: exited ? nil : status & 0x7f,
                                stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
                                stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")
            try? FileManager.default.removeItem(at: stdoutURL)
            try? FileManager.default.removeItem(at: stderrURL)
            reaped = result
            return result
        }
    }

    /// Runs to completion in `directory`.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Result {
        try Running(arguments, in: directory, environment: environment).wait()
    }
}

/// Every regular file under `directory`, by relative path, with its bytes.
func filesByPath(_ directory: URL) throws -> [String: Data] {
    var out: [String: Data] = [:]
    guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
    let base = directory.standardizedFileURL.path
    for case let url as URL in enumerator {
        guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
        let path = url.standardizedFileURL.path
        out[String(path.dropFirst(base.count + 1))] = try Data(contentsOf: url)
    }
    return out
}

/// A manifest's JSON without the fields that legitimately differ between runs (timestamps).
func manifestWithoutTimes(_ url: URL) throws -> NSDictionary {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    return object.filter { $0.key != "started_at" && $0.key != "finished_at" } as NSDictionary
}

/// The lines of a JSON Lines file as dictionaries.
func jsonLines(_ url: URL) throws -> [[String: Any]] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
    }
}

/// The manifest's counts.
func manifestCounts(_ prepared: URL) throws -> [String: Int] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: prepared.appendingPathComponent("manifest.json"))) as? [String: Any]
    return object?["counts"] as? [String: Int] ?? [:]
}
