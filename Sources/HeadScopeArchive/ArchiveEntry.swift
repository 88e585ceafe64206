/// One member of an archive, as its header describes it.
public struct ArchiveEntry: Sendable, Hashable {
    /// What the entry is.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        case file
        case directory
        case symlink
        /// A hard link to an earlier entry (its path is in ``ArchiveEntry/linkTarget``).
        case hardlink
        /// A device, FIFO or socket: never extracted. The string names it ("character device").
        case other(String)

        public var description: String {
            switch self {
            case .file: "file"
            case .directory: "directory"
            case .symlink: "symbolic link"
            case .hardlink: "hard link"
            case .other(let name): name
            }
        }
    }

    /// The path as stored in the archive (not cleaned up: it may be absolute or contain `..`).
    public var path: String
    public var kind: Kind
    /// The size the header declares, nil when the format leaves it unset (streamed zip entries).
    /// The data actually read can differ in hostile archives; readers count what they read.
    public var size: Int64?
    /// Permission bits (and set-id bits) from the header, without the file-type bits.
    public var mode: UInt32
    /// The target of a symbolic link, or the earlier entry a hard link refers to.
    public var linkTarget: String?

    public init(path: String, kind: Kind, size: Int64?, mode: UInt32, linkTarget: String?) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.linkTarget = linkTarget
    }
}
