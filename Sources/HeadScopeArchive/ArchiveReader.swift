import CArchive
import Foundation

/// Streams the entries of an archive file: tar (plain, gzip, bzip2, xz, zstd, ...), zip, 7z and
/// cpio, with the format and compression detected from the content, not the file name.
///
/// A reader moves forward only: ``nextEntry()`` advances to the next header, and the data of the
/// current entry can be read with ``readChunk(maxLength:)`` or ``readData(limit:)`` until the next
/// call to ``nextEntry()`` (unread data is skipped). mtree and "raw" are deliberately not enabled:
/// with them any text file would pass for an archive.
public final class ArchiveReader {
    /// The archive's path, as given.
    public let path: String
    private let handle: OpaquePointer
    /// The current entry's path, for error messages; nil before the first header.
    public private(set) var currentEntry: ArchiveEntry?
    private var lastEntryPath: String?
    private var dataExhausted = true

    /// Opens the archive; throws when the file is missing or in no format libarchive recognizes.
    public init(path: String) throws {
        guard let handle = archive_read_new() else {
            throw ArchiveError(archive: path, entry: nil, reason: .cannotOpen,
                               detail: "libarchive could not allocate a reader")
        }
        archive_read_support_filter_all(handle)
        archive_read_support_format_tar(handle)
        archive_read_support_format_gnutar(handle)
        archive_read_support_format_zip(handle)
        archive_read_support_format_7zip(handle)
        archive_read_support_format_cpio(handle)
        let status = archive_read_open_filename(handle, path, 64 * 1024)
        if status != ARCHIVE_OK && status != ARCHIVE_WARN {
            // Thrown before `self` is complete, so deinit does not free the handle a second time.
            var message = Self.message(handle)
            if archive_errno(handle) == EILSEQ {  // ARCHIVE_ERRNO_FILE_FORMAT
                message = "not a tar, zip, 7z or cpio archive (\(message))"
            }
            archive_read_free(handle)
            throw ArchiveError(archive: path, entry: nil, reason: .cannotOpen, detail: message)
        }
        self.path = path
        self.handle = handle
    }

    deinit {
        archive_read_free(handle)
    }

    /// Advances to the next entry; nil at the end of the archive.
    public func nextEntry() throws -> ArchiveEntry? {
        var entryPointer: OpaquePointer?
        var status = archive_read_next_header(handle, &entryPointer)
        var retries = 0
        while status == ARCHIVE_RETRY && retries < 3 {
            retries += 1
            status = archive_read_next_header(handle, &entryPointer)
        }
        if status == ARCHIVE_EOF {
            currentEntry = nil
            dataExhausted = true
            return nil
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entryPointer else {
            let place = lastEntryPath.map { "reading the header after entry '\($0)'" }
                ?? "reading the first header"
            currentEntry = nil
            // No format chosen yet means the content matched none: not an archive at all.
            if lastEntryPath == nil && archive_format(handle) == 0 {
                throw ArchiveError(archive: path, entry: nil, reason: .cannotOpen,
                                   detail: "not a tar, zip, 7z or cpio archive (\(Self.message(handle)))")
            }
            throw ArchiveError(archive: path, entry: nil, reason: .corrupt,
                               detail: "\(place): \(Self.message(handle))")
        }
        let entry = Self.describe(entryPointer)
        currentEntry = entry
        lastEntryPath = entry.path
        dataExhausted = false
        return entry
    }

    /// Reads up to `maxLength` bytes of the current entry's data; nil once it is exhausted.
    public func readChunk(maxLength: Int = 64 * 1024) throws -> Data? {
        guard let entry = currentEntry else {
            throw ArchiveError(archive: path, entry: nil, reason: .usage,
                               detail: "no current entry: call nextEntry() before reading data")
        }
        if dataExhausted { return nil }
        var buffer = Data(count: max(1, maxLength))
        let count = buffer.withUnsafeMutableBytes { raw in
            archive_read_data(handle, raw.baseAddress, raw.count)
        }
        if count < 0 {
            dataExhausted = true
            throw ArchiveError(archive: path, entry: entry.path, reason: .corrupt,
                               detail: Self.message(handle))
        }
        if count == 0 {
            dataExhausted = true
            return nil
        }
        buffer.count = count
        return buffer
    }

    /// Reads the rest of the current entry's data; throws when it exceeds `limit` bytes (the
    /// header's size is not trusted for this).
    public func readData(limit: Int) throws -> Data {
        var data = Data()
        while let chunk = try readChunk() {
            guard data.count + chunk.count <= limit else {
                throw ArchiveError(archive: path, entry: currentEntry?.path, reason: .limitExceeded,
                                   detail: "entry data exceeds the \(limit)-byte read limit")
            }
            data.append(chunk)
        }
        return data
    }

    /// Calls `body` for each entry in order; inside `body` the entry's data can be read from the
    /// reader.
    public func forEachEntry(_ body: (ArchiveEntry, ArchiveReader) throws -> Void) throws {
        while let entry = try nextEntry() {
            try body(entry, self)
        }
    }

    /// The headers of every entry (reads the whole archive once).
    public static func entries(ofArchiveAt path: String) throws -> [ArchiveEntry] {
        let reader = try ArchiveReader(path: path)
        var entries: [ArchiveEntry] = []
        try reader.forEachEntry { entry, _ in entries.append(entry) }
        return entries
    }

    // MARK: libarchive details

    /// libarchive's error text; `archive_error_string` returns NULL when it has none.
    static func message(_ handle: OpaquePointer) -> String {
        if let text = archive_error_string(handle) {
            return String(cString: text)
        }
        let code = archive_errno(handle)
        return code != 0 ? "libarchive error (errno \(code): \(String(cString: strerror(code))))"
            : "libarchive reported an error without a message"
    }

    static func describe(_ entry: OpaquePointer) -> ArchiveEntry {
        let path = string(archive_entry_pathname_utf8(entry)) ?? string(archive_entry_pathname(entry)) ?? ""
        let type = UInt32(archive_entry_filetype(entry))
        let hardlink = string(archive_entry_hardlink_utf8(entry)) ?? string(archive_entry_hardlink(entry))
        let symlink = string(archive_entry_symlink_utf8(entry)) ?? string(archive_entry_symlink(entry))
        let kind: ArchiveEntry.Kind
        if hardlink != nil {
            kind = .hardlink
        } else {
            switch type {
            case hs_AE_IFREG(): kind = .file
            case hs_AE_IFDIR(): kind = .directory
            case hs_AE_IFLNK(): kind = .symlink
            case hs_AE_IFCHR(): kind = .other("character device")
            case hs_AE_IFBLK(): kind = .other("block device")
            case hs_AE_IFIFO(): kind = .other("FIFO")
            case hs_AE_IFSOCK(): kind = .other("socket")
            default: kind = .other("entry of unknown type \(String(type, radix: 8))")
            }
        }
        let size: Int64? = archive_entry_size_is_set(entry) != 0 ? Int64(archive_entry_size(entry)) : nil
        let mode = UInt32(archive_entry_perm(entry))
        return ArchiveEntry(path: path, kind: kind, size: size, mode: mode,
                            linkTarget: kind == .hardlink ? hardlink : (kind == .symlink ? symlink : nil))
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
