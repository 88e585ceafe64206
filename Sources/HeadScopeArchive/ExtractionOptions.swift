/// What to do with an entry that would escape the target directory or is never extracted.
public enum ExtractionPolicy: Sendable, Hashable {
    /// Stop at the first hostile entry and throw (the default: an archive with one such entry is
    /// suspect as a whole).
    case failOnHostileEntry
    /// Leave hostile entries out, list them in ``ExtractionSummary/skipped``, and go on.
    case skipHostileEntries
}

/// Limits and policy for ``ArchiveExtractor``.
public struct ExtractionOptions: Sendable, Hashable {
    public var policy: ExtractionPolicy
    /// The largest single file, in bytes actually read (headers can lie). Exceeding it makes the
    /// entry hostile (skippable).
    public var maxEntryBytes: Int64
    /// The most bytes written in total; exceeding it stops the extraction.
    public var maxTotalBytes: Int64
    /// The most entries read (of any kind, skipped ones included); exceeding it stops the
    /// extraction.
    public var maxEntries: Int

    /// Defaults sized for image/question datasets: 2 GiB per file, 64 GiB in total, a million
    /// entries; fail on the first hostile entry.
    public init(policy: ExtractionPolicy = .failOnHostileEntry,
                maxEntryBytes: Int64 = 2 << 30,
                maxTotalBytes: Int64 = 64 << 30,
                maxEntries: Int = 1_000_000) {
        self.policy = policy
        self.maxEntryBytes = maxEntryBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
    }
}

/// What an extraction did.
public struct ExtractionSummary: Sendable, Hashable {
    /// An entry left out under ``ExtractionPolicy/skipHostileEntries``, and why.
    public struct SkippedEntry: Sendable, Hashable {
        public var path: String
        public var reason: String
    }

    /// Regular files written (hard links not included).
    public var filesWritten = 0
    public var directoriesCreated = 0
    public var symlinksCreated = 0
    public var hardlinksCreated = 0
    /// File data written, in bytes.
    public var bytesWritten: Int64 = 0
    /// Entries read from the archive, skipped ones included.
    public var entriesRead = 0
    public var skipped: [SkippedEntry] = []
}
