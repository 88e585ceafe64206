import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Extracts an archive into a directory without ever writing outside it.
///
/// Entries are checked before anything touches the disk: absolute paths, `..` components,
/// devices/FIFOs/sockets, symbolic links whose target leaves the directory, hard links to
/// anything but a regular file already extracted, and paths that pass through a symbolic link
/// (one placed by an earlier entry or already present) are hostile. Files are written to a
/// temporary name in their final directory and renamed once complete, so a failed entry leaves
/// no partial file; entries completed before a failure stay. Directory modes from the archive
/// are not applied (directories are 0755, so a 0500 entry cannot lock later entries out); file
/// permission bits are kept without set-id and sticky bits.
///
/// The checks assume nothing else modifies the target directory during the extraction.
public struct ArchiveExtractor: Sendable {
    public var options: ExtractionOptions

    public init(options: ExtractionOptions = ExtractionOptions()) {
        self.options = options
    }

    /// Extracts the archive at `archive` into `directory` (created when missing).
    public func extract(archiveAt archive: URL, into directory: URL) throws -> ExtractionSummary {
        let archivePath = archive.path
        let reader = try ArchiveReader(path: archivePath)
        var run = try ExtractionRun(archive: archivePath, directory: directory.path, options: options)
        while true {
            let entry: ArchiveEntry
            do {
                guard let next = try reader.nextEntry() else { break }
                entry = next
            }
            run.summary.entriesRead += 1
            guard run.summary.entriesRead <= options.maxEntries else {
                throw ArchiveError(archive: archivePath, entry: entry.path, reason: .limitExceeded,
                                   detail: "more than \(options.maxEntries) entries")
            }
            do {
                try run.extract(entry, from: reader)
            } catch let error as ArchiveError where error.isHostileEntry
                && options.policy == .skipHostileEntries {
                run.summary.skipped.append(.init(path: entry.path, reason: error.description))
            }
        }
        return run.summary
    }
}

/// The state of one extraction: the resolved target directory and the running totals.
struct ExtractionRun {
    let archive: String
    let root: String
    let options: ExtractionOptions
    var summary = ExtractionSummary()

    init(archive: String, directory: String, options: ExtractionOptions) throws {
        self.archive = archive
        self.options = options
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ArchiveError(archive: archive, entry: nil, reason: .fileSystem,
                               detail: "cannot create the target directory \(directory): "
                                   + error.localizedDescription)
        }
        // Resolve the target itself once (it may legitimately sit behind a link such as /tmp);
        // below it, no link is ever followed.
        guard let resolved = realpath(directory, nil) else {
            throw ArchiveError(archive: archive, entry: nil, reason: .fileSystem,
                               detail: "cannot resolve the target directory \(directory): "
                                   + String(cString: strerror(errno)))
        }
        root = String(cString: resolved)
        free(resolved)
    }

    mutating func extract(_ entry: ArchiveEntry, from reader: ArchiveReader) throws {
        let parts: [String]
        do {
            parts = try EntryPath.components(of: entry.path)
        } catch {
            throw hostile(entry, error, detail: "path '\(entry.path)' is not a relative path inside the target")
        }
        switch entry.kind {
        case .other(let name):
            throw hostile(entry, .specialFile, detail: "\(name) entries are never extracted")
        case .directory:
            try makeDirectories(parts, for: entry)
        case .file:
            guard let name = parts.last else {
                throw hostile(entry, .invalidPath, detail: "a file entry needs a name")
            }
            let parent = try makeDirectories(Array(parts.dropLast()), for: entry)
            try writeFile(entry, name: name, in: parent, from: reader)
        case .symlink:
            guard let name = parts.last else {
                throw hostile(entry, .invalidPath, detail: "a link entry needs a name")
            }
            let target = entry.linkTarget ?? ""
            guard EntryPath.symlinkStaysInside(target: target, parent: Array(parts.dropLast())) else {
                throw hostile(entry, .linkEscapes,
                              detail: "symbolic link to '\(target)' would point outside the target "
                                  + "directory (only relative targets that stay inside are allowed)")
            }
            let parent = try makeDirectories(Array(parts.dropLast()), for: entry)
            try place(entry, name: name, in: parent) { temporary in symlink(target, temporary) }
            summary.symlinksCreated += 1
        case .hardlink:
            guard let name = parts.last else {
                throw hostile(entry, .invalidPath, detail: "a link entry needs a name")
            }
            let target = entry.linkTarget ?? ""
            let targetParts: [String]
            do {
                targetParts = try EntryPath.components(of: target)
            } catch {
                throw hostile(entry, .linkEscapes, detail: "hard link to '\(target)' is outside the target directory")
            }
            guard let targetName = targetParts.last else {
                throw hostile(entry, .linkEscapes, detail: "hard link with an empty target")
            }
            let targetParent = try existingDirectory(Array(targetParts.dropLast()), for: entry)
            let targetPath = targetParent + "/" + targetName
            guard fileType(targetPath) == .regular else {
                throw hostile(entry, .linkEscapes,
                              detail: "hard link target '\(target)' is not a regular file extracted earlier")
            }
            let parent = try makeDirectories(Array(parts.dropLast()), for: entry)
            try place(entry, name: name, in: parent) { temporary in link(targetPath, temporary) }
            summary.hardlinksCreated += 1
        }
    }

    // MARK: Directories

    enum FileType { case missing, directory, symlink, regular, other }

    func fileType(_ path: String) -> FileType {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        case S_IFREG: return .regular
        default: return .other
        }
    }

    /// Creates the directories `parts` below the root as needed, refusing to pass through a
    /// symbolic link or a non-directory; returns the absolute path of the last one.
    @discardableResult
    mutating func makeDirectories(_ parts: [String], for entry: ArchiveEntry) throws -> String {
        var path = root
        for (index, part) in parts.enumerated() {
            path += "/" + part
            switch fileType(path) {
            case .directory:
                continue
            case .missing:
                if mkdir(path, 0o755) != 0 && errno != EEXIST {
                    throw failure(entry, "cannot create directory \(path): \(String(cString: strerror(errno)))")
                }
                guard fileType(path) == .directory else {
                    throw failure(entry, "\(path) is not a directory after creating it")
                }
                summary.directoriesCreated += 1
            case .symlink:
                let shown = parts[...index].joined(separator: "/")
                throw hostile(entry, .throughSymlink,
                              detail: "'\(shown)' is a symbolic link; nothing is written through links")
            case .regular, .other:
                let shown = parts[...index].joined(separator: "/")
                throw hostile(entry, .conflict, detail: "'\(shown)' exists and is not a directory")
            }
        }
        return path
    }

    /// The absolute path of existing directories `parts` below the root, none of them a link.
    func existingDirectory(_ parts: [String], for entry: ArchiveEntry) throws -> String {
        var path = root
        for (index, part) in parts.enumerated() {
            path += "/" + part
            let shown = parts[...index].joined(separator: "/")
            switch fileType(path) {
            case .directory: continue
            case .symlink:
                throw hostile(entry, .throughSymlink, detail: "'\(shown)' is a symbolic link")
            default:
                throw hostile(entry, .linkEscapes, detail: "'\(shown)' is not an extracted directory")
            }
        }
        return path
    }

    // MARK: Files and links

    /// A name in `directory` that no entry uses, for writing before the final rename.
    func temporaryPath(for name: String, in directory: String) -> String {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return "\(directory)/.\(name.prefix(64)).partial-\(suffix)"
    }

    /// Renames `temporary` onto `name` in `directory` unless a directory is there.
    func commit(_ temporary: String, name: String, in directory: String, for entry: ArchiveEntry) throws {
        let final = directory + "/" + name
        if fileType(final) == .directory {
            unlink(temporary)
            throw hostile(entry, .conflict, detail: "'\(entry.path)' exists as a directory")
        }
        guard rename(temporary, final) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw failure(entry, "cannot rename into place at \(final): \(message)")
        }
    }

    /// Creates a link with `make(temporaryPath)` and renames it into place.
    func place(_ entry: ArchiveEntry, name: String, in directory: String,
               _ make: (String) -> Int32) throws {
        let temporary = temporaryPath(for: name, in: directory)
        guard make(temporary) == 0 else {
            throw failure(entry, "cannot create link in \(directory): \(String(cString: strerror(errno)))")
        }
        try commit(temporary, name: name, in: directory, for: entry)
    }

    mutating func writeFile(_ entry: ArchiveEntry, name: String, in directory: String,
                            from reader: ArchiveReader) throws {
        if let size = entry.size, size > options.maxEntryBytes {
            throw hostile(entry, .entryTooLarge,
                          detail: "declares \(size) bytes, the limit is \(options.maxEntryBytes)")
        }
        if let size = entry.size, summary.bytesWritten + size > options.maxTotalBytes {
            throw ArchiveError(archive: archive, entry: entry.path, reason: .limitExceeded,
                               detail: "extraction would exceed the total limit of \(options.maxTotalBytes) bytes")
        }
        if fileType(directory + "/" + name) == .directory {
            throw hostile(entry, .conflict, detail: "'\(entry.path)' exists as a directory")
        }
        let temporary = temporaryPath(for: name, in: directory)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw failure(entry, "cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        var written: Int64 = 0
        do {
            while let chunk = try reader.readChunk() {
                written += Int64(chunk.count)
                if written > options.maxEntryBytes {
                    throw hostile(entry, .entryTooLarge,
                                  detail: "data exceeds the per-entry limit of \(options.maxEntryBytes) bytes")
                }
                if summary.bytesWritten + written > options.maxTotalBytes {
                    throw ArchiveError(archive: archive, entry: entry.path, reason: .limitExceeded,
                                       detail: "extraction exceeds the total limit of \(options.maxTotalBytes) bytes")
                }
                try chunk.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    var offset = 0
                    while offset < raw.count {
                        let count = systemWrite(descriptor, base + offset, raw.count - offset)
                        if count < 0 {
                            if errno == EINTR { continue }
                            throw failure(entry, "cannot write \(temporary): \(String(cString: strerror(errno)))")
                        }
                        offset += count
                    }
                }
            }
            let permissions = entry.mode & 0o777
            fchmod(descriptor, mode_t(permissions == 0 ? 0o644 : permissions))
            guard close(descriptor) == 0 else {
                throw failure(entry, "cannot close \(temporary): \(String(cString: strerror(errno)))")
            }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        try commit(temporary, name: name, in: directory, for: entry)
        summary.filesWritten += 1
        summary.bytesWritten += written
    }

    func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        write(descriptor, buffer, count)
    }

    // MARK: Errors

    func hostile(_ entry: ArchiveEntry, _ why: ArchiveError.HostileReason, detail: String) -> ArchiveError {
        ArchiveError(archive: archive, entry: entry.path, reason: .hostileEntry(why), detail: detail)
    }

    func failure(_ entry: ArchiveEntry, _ detail: String) -> ArchiveError {
        ArchiveError(archive: archive, entry: entry.path, reason: .fileSystem, detail: detail)
    }
}
