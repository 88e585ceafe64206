#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HeadScopeCore
import HeadScopeHDF5

/// Why an activation store could not be written or read.
public struct StoreError: HeadScopeError {
    public var path: String
    public var message: String
    public var remedy: String?
    /// Set when the file system refused to hold more data: making room and rerunning resumes.
    public var shortage: SpaceShortage?

    public init(_ path: String, _ message: String, remedy: String? = nil, shortage: SpaceShortage? = nil) {
        self.path = path
        self.message = message
        self.remedy = remedy
        self.shortage = shortage
    }

    public var description: String {
        "\(path): \(message)" + (remedy.map { "; \($0)" } ?? "")
    }

    /// The error to report when writing the file `path` (`what`, e.g. "this shard") failed: a
    /// failure for lack of space becomes a `StoreError` that says so in plain words, because the
    /// library's own text for it (an HDF5 error stack) does not tell a user what to do; any other
    /// error is returned unchanged.
    static func writing(_ path: String, _ what: String, failedWith error: any Error) -> any Error {
        guard let shortage = SpaceShortage(error) else { return error }
        return StoreError(path, "cannot write \(what): \(shortage.explanation); the unfinished file was removed",
                          shortage: shortage)
    }
}

/// A write refused because the file system has no room for it, recognised from the system error
/// of the failed call (what `FileSystemError` carries, or what HDF5's file driver reported).
public enum SpaceShortage: Sendable, Equatable {
    /// ENOSPC: no space left on the device.
    case diskFull
    /// EDQUOT: the user's disk quota is used up.
    case quotaExceeded
    /// EFBIG: the file would exceed the process's file-size limit (`ulimit -f`).
    case fileSizeLimit

    public init?(errorNumber: Int32) {
        switch errorNumber {
        case ENOSPC: self = .diskFull
        case EDQUOT: self = .quotaExceeded
        case EFBIG: self = .fileSizeLimit
        default: return nil
        }
    }

    /// The shortage behind `error`, or nil when it failed for another reason.
    public init?(_ error: any Error) {
        let number: Int32?
        switch error {
        case let error as FileSystemError: number = error.code
        case let error as HDF5Error: number = error.systemErrorNumber
        case let error as StoreError:
            guard let shortage = error.shortage else { return nil }
            self = shortage
            return
        default: number = nil
        }
        guard let number, let shortage = SpaceShortage(errorNumber: number) else { return nil }
        self = shortage
    }

    /// What happened, in a user's words.
    public var explanation: String {
        switch self {
        case .diskFull: return "no space left on the device (the disk is full)"
        case .quotaExceeded: return "the disk quota is used up"
        case .fileSizeLimit: return "the file would exceed this process's file-size limit (ulimit -f)"
        }
    }

    /// How to make room for more output under `directory`.
    public func advice(for directory: String) -> String {
        switch self {
        case .diskFull:
            return "free space on the disk holding \(directory) (`df -h \(directory)` shows how much is left), or move that folder to a larger disk and point the output there"
        case .quotaExceeded:
            return "free space within your quota, or move \(directory) to a disk where you have more"
        case .fileSizeLimit:
            return "raise the limit (`ulimit -f unlimited`, or ask for larger files in the job script)"
        }
    }
}
