import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader sees either the old complete file or the new complete file,
/// never a half-written one, even if the process is killed or the machine loses power.
///
/// The recipe: write to `.<name>.tmp-<pid>-<random>` in the target's directory (same file
/// system, so the rename is atomic), fsync the file, rename it over the target, fsync the
/// directory so the rename itself is durable. If the writing fails, the temporary file is removed
/// and the old target is untouched. A crash can leave a temporary behind; the next run removes it
/// with `removeStaleTemporaries(in:)`.
public enum AtomicFile {
    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL, permissions: UInt16 = 0o644) throws {
        try write(to: url, permissions: permissions) { writer in try writer.write(data) }
    }

    /// Writes `string` as UTF-8 to `url` atomically.
    public static func write(_ string: String, to url: URL, permissions: UInt16 = 0o644) throws {
        try write(to: url, permissions: permissions) { writer in try writer.write(string) }
    }

    /// Streams content into `url` atomically: `body` writes through the writer; if it throws, the
    /// temporary is removed, the target is left as it was, and the error is rethrown.
    @discardableResult
    public static func write<T>(to url: URL, permissions: UInt16 = 0o644,
                                _ body: (AtomicFileWriter) throws -> T) throws -> T {
        try replace(url) { temporary in
            let writer = try AtomicFileWriter(creating: temporary, permissions: permissions)
            do {
                let result = try body(writer)
                try writer.close()
                return result
            } catch {
                writer.abandon()
                throw error
            }
        }
    }

    /// Lets another library (HDF5, for example) write a file by path, then publishes it
    /// atomically: `build` receives the temporary path, must create and close the file there, and
    /// the file is then fsynced and renamed over `url`. On error the temporary is removed.
    @discardableResult
    public static func replace<T>(_ url: URL, _ build: (URL) throws -> T) throws -> T {
        let temporary = temporaryURL(for: url)
        let result: T
        do {
            result = try build(temporary)
            try syncFile(at: temporary)
            try rename(temporary, to: url)
        } catch {
            unlink(temporary.path)
            throw error
        }
        try syncDirectory(at: url.deletingLastPathComponent())
        return result
    }

    /// A fresh temporary name next to `url`: `.<name>.tmp-<pid>-<8 hex digits>`.
    public static func temporaryURL(for url: URL) -> URL {
        sibling(of: url, kind: .temporary)
    }

    // MARK: Stale temporaries

    /// What `removeStaleTemporaries(in:)` did.
    public struct CleanupReport: Sendable, Equatable {
        /// Leftover temporaries (files or directories) that were deleted.
        public var removed: [URL] = []
        /// Directories put back under their real name because a replacement crashed half-way.
        public var restored: [URL] = []
    }

    /// Removes temporaries left by a crashed earlier run in `directory` (not recursively).
    ///
    /// An entry is stale when the process id in its name is not running on this machine and it
    /// was last modified at least `minimumAge` seconds ago. Temporaries of live processes (this
    /// one included) are kept, so concurrent writers in one directory do not disturb each other;
    /// on a file system shared between machines, pass a `minimumAge` longer than any write takes.
    /// A `.<name>.old-…` directory whose `<name>` is missing is renamed back (an interrupted
    /// `AtomicDirectory.create` had moved it aside); otherwise it is removed.
    @discardableResult
    public static func removeStaleTemporaries(in directory: URL, minimumAge: Double = 0,
                                              now: Date = Date()) throws -> CleanupReport {
        var report = CleanupReport()
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            if !FileManager.default.fileExists(atPath: directory.path) { return report }
            throw FileSystemError("list", path: directory.path, code: 0, reason: "\(error)")
        }
        for name in names.sorted() {
            guard let parsed = ParsedSiblingName(name) else { continue }
            if processIsAlive(parsed.pid) { continue }
            let url = directory.appendingPathComponent(name)
            var info = stat()
            guard lstat(url.path, &info) == 0 else { continue }
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            if now.timeIntervalSince1970 - modified < minimumAge { continue }
            let original = directory.appendingPathComponent(parsed.original)
            if parsed.kind == .previous && !exists(original) {
                try rename(url, to: original)
                report.restored.append(original)
                continue
            }
            do {
                try FileManager.default.removeItem(at: url)
            } catch {
                throw FileSystemError("remove stale temporary", path: url.path, code: 0, reason: "\(error)")
            }
            report.removed.append(url)
        }
        if !report.removed.isEmpty || !report.restored.isEmpty {
            try syncDirectory(at: directory)
        }
        return report
    }

    // MARK: Durability primitives

    /// fsyncs a file's contents to stable storage.
    public static func syncFile(at url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.fromErrno("open for fsync", path: url.path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError.fromErrno("fsync", path: url.path) }
    }

    /// fsyncs a directory so that entries created or renamed in it survive a crash.
    public static func syncDirectory(at url: URL) throws {
        let path = url.path.isEmpty ? "." : url.path
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.fromErrno("open directory for fsync", path: path) }
        defer { close(fd) }
        // Some file systems refuse fsync on directories (EINVAL); the rename is then as durable
        // as that file system makes it, which is all that can be done.
        if fsync(fd) != 0 && errno != EINVAL {
            throw FileSystemError.fromErrno("fsync directory", path: path)
        }
    }

    /// rename(2) with an error naming both paths.
    public static func rename(_ source: URL, to destination: URL) throws {
        #if canImport(Glibc)
        let status = Glibc.rename(source.path, destination.path)
        #else
        let status = Darwin.rename(source.path, destination.path)
        #endif
        guard status == 0 else {
            throw FileSystemError.fromErrno("rename", path: source.path, otherPath: destination.path)
        }
    }

    // MARK: Internals

    enum SiblingKind: String { case temporary = "tmp", previous = "old" }

    static func sibling(of url: URL, kind: SiblingKind) -> URL {
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let padded = String(repeating: "0", count: 8 - random.count) + random
        let name = ".\(url.lastPathComponent).\(kind.rawValue)-\(getpid())-\(padded)"
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }

    static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    static func processIsAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// A name of the form `.<original>.<tmp|old>-<pid>-<hex>`.
    struct ParsedSiblingName {
        var original: String
        var kind: SiblingKind
        var pid: Int32

        init?(_ name: String) {
            guard name.hasPrefix(".") else { return nil }
            let parts = name.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count >= 3,
                  let random = parts.last, random.count == 8, random.allSatisfy(\.isHexDigit),
                  let pid = Int32(parts[parts.count - 2]), pid > 0 else { return nil }
            let head = parts.dropLast(2).joined(separator: "-")   // ".<original>.<kind>"
            guard let dot = head.lastIndex(of: "."), dot > head.startIndex,
                  let kind = SiblingKind(rawValue: String(head[head.index(after: dot)...])) else { return nil }
            let original = String(head[head.index(after: head.startIndex)..<dot])
            guard !original.isEmpty else { return nil }
            self.original = original
            self.kind = kind
            self.pid = pid
        }
    }
}

/// The write end of an `AtomicFile.write(to:_:)`: buffered appends to the temporary file.
public final class AtomicFileWriter {
    private var fd: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    /// Bytes handed to the writer so far.
    public private(set) var bytesWritten = 0

    init(creating url: URL, permissions: UInt16) throws {
        path = url.path
        fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions))
        guard fd >= 0 else { throw FileSystemError.fromErrno("create", path: url.path) }
        buffer.reserveCapacity(bufferLimit)
    }

    deinit {
        if fd >= 0 { _ = closeDescriptor(fd) }
    }

    /// Appends bytes.
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write(bytes: $0) }
    }

    /// Appends a string as UTF-8.
    public func write(_ string: String) throws {
        var string = string
        try string.withUTF8 { try write(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Appends raw bytes.
    public func write(bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else {
            throw FileSystemError("write", path: path, code: EBADF, reason: "the writer is already closed")
        }
        bytesWritten += bytes.count
        if buffer.count + bytes.count <= bufferLimit {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count >= bufferLimit {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Writes out the buffer.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = posixWrite(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.fromErrno("write", path: path)
            }
            offset += n
        }
    }

    /// Flushes, fsyncs and closes the temporary.
    func close() throws {
        try flush()
        guard fsync(fd) == 0 else { throw FileSystemError.fromErrno("fsync", path: path) }
        let status = closeDescriptor(fd)
        fd = -1
        guard status == 0 else { throw FileSystemError.fromErrno("close", path: path) }
    }

    /// Closes without syncing; the caller removes the file.
    func abandon() {
        if fd >= 0 { _ = closeDescriptor(fd) }
        fd = -1
    }
}

@inline(__always)
private func closeDescriptor(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
