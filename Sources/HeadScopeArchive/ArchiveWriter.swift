import CArchive
import Foundation

/// Writes a tar or tar.gz archive of in-memory files, reproducibly.
///
/// Every entry gets the same fixed metadata (mtime 0, uid/gid 0, no owner names) and the gzip
/// header carries no timestamp, so the same entries in the same order always give the same bytes;
/// datasets generated with a seed can then be checked by hash. Minimal on purpose: regular files
/// and directories only, written in the order added.
public final class ArchiveWriter {
    /// The container written.
    public enum Format: Sendable {
        /// POSIX pax tar, uncompressed.
        case tar
        /// POSIX pax tar compressed with gzip.
        case tarGzip
    }

    /// The file being written.
    public let path: String
    private let handle: OpaquePointer
    private var finished = false

    /// Creates (or truncates) the archive at `url`.
    public init(creating url: URL, format: Format) throws {
        guard let handle = archive_write_new() else {
            throw ArchiveError(archive: url.path, entry: nil, reason: .cannotOpen,
                               detail: "libarchive could not allocate a writer")
        }
        func fail(_ what: String) -> ArchiveError {
            let error = ArchiveError(archive: url.path, entry: nil, reason: .fileSystem,
                                     detail: "\(what): \(ArchiveReader.message(handle))")
            archive_write_free(handle)
            return error
        }
        // Restricted pax writes no atime/ctime extensions, so headers depend only on our metadata.
        guard archive_write_set_format_pax_restricted(handle) == ARCHIVE_OK else { throw fail("cannot select the tar format") }
        // Paths are stored as the UTF-8 bytes given, whatever the process locale (in the C locale
        // libarchive cannot convert non-ASCII names and would fail inside the header writer).
        guard archive_write_set_format_option(handle, "pax", "hdrcharset", "BINARY") == ARCHIVE_OK else {
            throw fail("cannot set the pax header charset")
        }
        if format == .tarGzip {
            guard archive_write_add_filter_gzip(handle) == ARCHIVE_OK else { throw fail("cannot add gzip compression") }
            // A NULL value clears the option: no modification time in the gzip header.
            _ = archive_write_set_filter_option(handle, "gzip", "timestamp", nil)
        }
        guard archive_write_open_filename(handle, url.path) == ARCHIVE_OK else { throw fail("cannot create the file") }
        self.path = url.path
        self.handle = handle
    }

    deinit {
        if !finished { archive_write_close(handle) }
        archive_write_free(handle)
    }

    /// Adds a regular file with `data` at `entryPath` (a relative path with `/` separators).
    public func addFile(_ entryPath: String, data: Data, permissions: UInt32 = 0o644) throws {
        try addEntry(entryPath, type: hs_AE_IFREG(), permissions: permissions, data: data)
    }

    /// Adds a directory entry.
    public func addDirectory(_ entryPath: String) throws {
        try addEntry(entryPath.hasSuffix("/") ? entryPath : entryPath + "/", type: hs_AE_IFDIR(),
                     permissions: 0o755, data: nil)
    }

    private func addEntry(_ entryPath: String, type: UInt32, permissions: UInt32, data: Data?) throws {
        guard !finished else {
            throw ArchiveError(archive: path, entry: entryPath, reason: .usage, detail: "the archive is already finished")
        }
        guard !entryPath.hasPrefix("/"), !entryPath.split(separator: "/").contains("..") else {
            throw ArchiveError(archive: path, entry: entryPath, reason: .usage,
                               detail: "entry paths must be relative and stay inside the archive")
        }
        guard let entry = archive_entry_new() else {
            throw ArchiveError(archive: path, entry: entryPath, reason: .fileSystem, detail: "cannot allocate an entry")
        }
        defer { archive_entry_free(entry) }
        archive_entry_copy_pathname(entry, entryPath)
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(permissions))
        archive_entry_set_size(entry, la_int64_t(data?.count ?? 0))
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        guard archive_write_header(handle, entry) == ARCHIVE_OK else {
            throw ArchiveError(archive: path, entry: entryPath, reason: .fileSystem,
                               detail: "cannot write the header: \(ArchiveReader.message(handle))")
        }
        if let data, !data.isEmpty {
            let written = data.withUnsafeBytes { archive_write_data(handle, $0.baseAddress, $0.count) }
            guard written == data.count else {
                throw ArchiveError(archive: path, entry: entryPath, reason: .fileSystem,
                                   detail: "cannot write the data: \(ArchiveReader.message(handle))")
            }
        }
    }

    /// Flushes and closes the archive; it is complete only after this returns.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        guard archive_write_close(handle) == ARCHIVE_OK else {
            throw ArchiveError(archive: path, entry: nil, reason: .fileSystem,
                               detail: "cannot finish the archive: \(ArchiveReader.message(handle))")
        }
    }
}
