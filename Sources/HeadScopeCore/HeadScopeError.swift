#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The error convention every HeadScope module follows.
///
/// An error says what failed, where (file, key, line) and what to do, in its `description`, so
/// that `error: <description>` on stderr is all a user needs. `exitCode` lets an error pick the
/// process status; most keep the default of 1.
public protocol HeadScopeError: Error, CustomStringConvertible, Sendable {
    /// The process exit status a stage uses when it stops on this error.
    var exitCode: Int32 { get }
}

extension HeadScopeError {
    public var exitCode: Int32 { 1 }
}

/// A general stage failure: a message and, when there is one, the thing to do about it.
public struct StageError: HeadScopeError, Equatable {
    /// What failed, and where.
    public var message: String
    /// What the user can do about it (for example "re-run `make prepare`"), or nil.
    public var remedy: String?
    public var exitCode: Int32

    public init(_ message: String, remedy: String? = nil, exitCode: Int32 = 1) {
        self.message = message
        self.remedy = remedy
        self.exitCode = exitCode
    }

    public var description: String {
        guard let remedy else { return message }
        return "\(message); \(remedy)"
    }
}

/// Entry-point helpers for the stage executables: run the work, and on failure print
/// `error: <description>` to stderr and exit non-zero instead of crashing with a trace.
public enum StageMain {
    /// The text printed for an error: `error: ` followed by its description.
    ///
    /// Errors outside the HeadScope convention (Foundation's, for example) are printed with
    /// `String(describing:)`, which is the most informative text they offer.
    public static func message(for error: any Error) -> String {
        "error: \(String(describing: error))"
    }

    /// The exit status for an error: its own `exitCode` for HeadScope errors, else 1.
    public static func exitCode(for error: any Error) -> Int32 {
        (error as? any HeadScopeError)?.exitCode ?? 1
    }

    /// Prints `error: <description>` to stderr and exits with the error's status.
    public static func fail(_ error: any Error) -> Never {
        StandardError.write(message(for: error) + "\n")
        exit(exitCode(for: error))
    }

    /// Runs `body`; returns its value on success, prints the error and exits on failure.
    public static func run<T>(_ body: () throws -> T) -> T {
        do {
            return try body()
        } catch {
            fail(error)
        }
    }

    /// Runs async `body`; returns its value on success, prints the error and exits on failure.
    public static func run<T>(_ body: () async throws -> T) async -> T {
        do {
            return try await body()
        } catch {
            fail(error)
        }
    }
}
