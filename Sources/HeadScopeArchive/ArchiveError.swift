/// Why reading or extracting an archive failed, naming the archive and, where there is one, the
/// entry.
public struct ArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure, for callers that branch on it.
    public enum Reason: Sendable, Equatable {
        /// The file could not be opened or is not an archive in a known format.
        case cannotOpen
        /// The archive's data is corrupt or truncated.
        case corrupt
        /// The entry would write outside the target, or is a kind that is never extracted.
        case hostileEntry(HostileReason)
        /// A configured cap (entry count, total bytes) was reached.
        case limitExceeded
        /// The file system refused an operation inside the target directory.
        case fileSystem
        /// The caller misused the reader (reading data with no current entry).
        case usage
    }

    /// What makes an entry hostile.
    public enum HostileReason: String, Error, Sendable, Equatable {
        case absolutePath = "absolute path"
        case parentTraversal = "`..` path component"
        case invalidPath = "invalid path"
        case linkEscapes = "link target outside the target directory"
        case throughSymlink = "path goes through a symbolic link"
        case specialFile = "device, FIFO or socket"
        case entryTooLarge = "entry larger than the per-entry limit"
        case conflict = "conflicts with an existing entry of another kind"
    }

    /// The archive's path.
    public var archive: String
    /// The entry's path as stored in the archive, when the failure concerns one.
    public var entry: String?
    public var reason: Reason
    /// Specifics: libarchive's message, the offending link target, the limit reached.
    public var detail: String

    public init(archive: String, entry: String?, reason: Reason, detail: String) {
        self.archive = archive
        self.entry = entry
        self.reason = reason
        self.detail = detail
    }

    /// Whether the ``ExtractionPolicy/skipHostileEntries`` policy may skip this failure.
    public var isHostileEntry: Bool {
        if case .hostileEntry = reason { return true }
        return false
    }

    public var description: String {
        let place = entry.map { "\(archive): entry '\($0)'" } ?? archive
        switch reason {
        case .cannotOpen:
            return "\(place): cannot read archive: \(detail)"
        case .corrupt:
            return "\(place): archive is corrupt or truncated: \(detail); re-create or re-download it"
        case .hostileEntry(let why):
            return "\(place): refused (\(why.rawValue)): \(detail)"
        case .limitExceeded:
            return "\(place): \(detail); raise the limit in the extraction options if the archive is trusted"
        case .fileSystem:
            return "\(place): \(detail)"
        case .usage:
            return "\(place): \(detail)"
        }
    }
}
