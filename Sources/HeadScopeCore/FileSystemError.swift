#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file-system call: which operation, on which path, and the system's reason.
public struct FileSystemError: HeadScopeError, Equatable {
    /// What was being done, as a verb phrase ("open for writing", "rename", "fsync").
    public var operation: String
    /// The path the call was about.
    public var path: String
    /// A second path for two-path operations (the rename target), if any.
    public var otherPath: String?
    /// The `errno` value, or 0 when the failure did not come from a system call.
    public var code: Int32
    /// The system's text for `code` (`strerror`), or an explanation when `code` is 0.
    public var reason: String

    public init(_ operation: String, path: String, otherPath: String? = nil, code: Int32, reason: String? = nil) {
        self.operation = operation
        self.path = path
        self.otherPath = otherPath
        self.code = code
        self.reason = reason ?? FileSystemError.text(for: code)
    }

    /// Captures the current `errno` for a failed call.
    public static func fromErrno(_ operation: String, path: String, otherPath: String? = nil) -> FileSystemError {
        FileSystemError(operation, path: path, otherPath: otherPath, code: errno)
    }

    /// The system text for an errno value.
    public static func text(for code: Int32) -> String {
        guard code != 0, let text = strerror(code) else { return "unknown error" }
        return String(cString: text)
    }

    public var description: String {
        let target = otherPath.map { "\(path) to \($0)" } ?? path
        let suffix = code != 0 ? " (errno \(code))" : ""
        return "cannot \(operation) \(target): \(reason)\(suffix)"
    }
}
