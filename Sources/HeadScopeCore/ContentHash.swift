import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 content hashes of bytes, files and directory trees, as lowercase hex.
///
/// Manifests record these so a later stage can tell whether its inputs are still the ones an
/// earlier stage saw.
public enum ContentHash {
    /// The read size for file hashing: large enough that system-call overhead vanishes on
    /// multi-gigabyte weight files, small enough to stay in cache.
    public static let chunkSize = 4 << 20

    /// SHA-256 of bytes.
    public static func sha256(_ data: Data) throws -> String {
        let hasher = try SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// SHA-256 of a string's UTF-8 bytes.
    public static func sha256(_ string: String) throws -> String {
        let hasher = try SHA256Hasher()
        hasher.update(string)
        return hasher.finalize()
    }

    /// The hash and size of one file.
    public struct FileDigest: Sendable, Equatable {
        public var sha256: String
        public var bytes: Int
    }

    /// SHA-256 of a file's contents, read in `chunkSize` pieces (symlinks are followed).
    public static func file(at url: URL) throws -> String {
        try fileDigest(at: url).sha256
    }

    /// SHA-256 and byte count of a file's contents.
    public static func fileDigest(at url: URL) throws -> FileDigest {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.fromErrno("open for hashing", path: url.path) }
        defer { close(fd) }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        let hasher = try SHA256Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let n = read(fd, buffer.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.fromErrno("read", path: url.path)
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += n
        }
        return FileDigest(sha256: hasher.finalize(), bytes: total)
    }

    // MARK: Directory trees

    /// One file in a directory digest.
    public struct DirectoryEntry: Sendable, Equatable {
        /// Path relative to the hashed directory, `/`-separated.
        public var path: String
        public var sha256: String
        public var bytes: Int
    }

    /// The hash of a directory tree and the per-file hashes it was made from.
    public struct DirectoryDigest: Sendable, Equatable {
        /// SHA-256 of the listing (see `ContentHash.directory(at:excluding:)`).
        public var sha256: String
        /// Every hashed file, sorted by path (byte order of the UTF-8 path).
        public var files: [DirectoryEntry]
        /// Sum of the file sizes.
        public var bytes: Int { files.reduce(0) { $0 + $1.bytes } }
    }

    /// SHA-256 of a directory tree.
    ///
    /// The tree's regular files are listed by relative path, sorted by the bytes of the UTF-8
    /// path, and the hash is SHA-256 of the text made of one line `<file sha256>  <path>\n` per
    /// file: exactly what `find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum`
    /// prints, so `… | sha256sum` reproduces the hash without HeadScope. Consequences: renaming
    /// or changing any file changes the hash; timestamps, permissions and empty directories do
    /// not. Nothing is skipped unless listed in `excluding` (relative paths of files or
    /// directories). Symlinks to files are hashed by the content they point to; symlinks to
    /// directories and special files are refused, so the hash never depends on a cycle or a
    /// device.
    public static func directory(at url: URL, excluding: Set<String> = []) throws -> String {
        try directoryDigest(at: url, excluding: excluding).sha256
    }

    /// The directory hash together with its per-file hashes and sizes.
    public static func directoryDigest(at url: URL, excluding: Set<String> = []) throws -> DirectoryDigest {
        var paths: [String] = []
        try collectFiles(root: url, relative: "", excluding: excluding, into: &paths)
        paths.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let listing = try SHA256Hasher()
        var entries: [DirectoryEntry] = []
        entries.reserveCapacity(paths.count)
        for path in paths {
            let digest = try fileDigest(at: url.appendingPathComponent(path))
            entries.append(DirectoryEntry(path: path, sha256: digest.sha256, bytes: digest.bytes))
            listing.update("\(digest.sha256)  \(path)\n")
        }
        return DirectoryDigest(sha256: listing.finalize(), files: entries)
    }

    private static func collectFiles(root: URL, relative: String, excluding: Set<String>,
                                     into paths: inout [String]) throws {
        let directory = relative.isEmpty ? root : root.appendingPathComponent(relative)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw FileSystemError("list directory for hashing", path: directory.path,
                                  code: AtomicFile.exists(directory) ? 0 : ENOENT,
                                  reason: AtomicFile.exists(directory) ? "\(error)" : nil)
        }
        for name in names {
            let path = relative.isEmpty ? name : "\(relative)/\(name)"
            if excluding.contains(path) { continue }
            let child = root.appendingPathComponent(path)
            var info = stat()
            guard lstat(child.path, &info) == 0 else { throw FileSystemError.fromErrno("stat", path: child.path) }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try collectFiles(root: root, relative: path, excluding: excluding, into: &paths)
            case S_IFREG:
                paths.append(path)
            case S_IFLNK:
                var target = stat()
                guard stat(child.path, &target) == 0 else {
                    throw FileSystemError.fromErrno("follow symlink", path: child.path)
                }
                guard target.st_mode & S_IFMT == S_IFREG else {
                    throw FileSystemError("hash", path: child.path, code: 0,
                                          reason: "symlinks to directories or special files are not hashed; replace it with a copy or exclude it")
                }
                paths.append(path)
            default:
                throw FileSystemError("hash", path: child.path, code: 0,
                                      reason: "not a regular file or directory; remove it or exclude it")
            }
        }
    }

    // MARK: Hex

    /// Lowercase hex of bytes.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
