import Foundation
import HeadScopeCore

/// SHA-256 digests of weight files, remembered by path, size and modification time so a model's
/// identity is not recomputed (hundreds of megabytes read) on every run.
///
/// The cache is a small JSON object (`path -> {size, mtime, sha256}`) written atomically; an
/// unreadable cache is ignored and rewritten. A changed size or modification time rehashes.
public final class FileHashCache: @unchecked Sendable {
    struct Entry: Codable, Equatable {
        var size: Int
        var mtime: Double
        var sha256: String
    }

    /// Where the cache lives, or nil for an in-memory cache.
    public let url: URL?
    private var entries: [String: Entry] = [:]
    private let lock = NSLock()

    /// A cache stored at `url` (created on first write), or only in memory when nil.
    public init(url: URL?) {
        self.url = url
        if let url, let data = try? Data(contentsOf: url),
           let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) {
            entries = decoded
        }
    }

    /// `.cache/file-hashes.json` under `root` (the repository root in pipeline runs).
    public static func under(_ root: URL) -> FileHashCache {
        FileHashCache(url: root.appendingPathComponent(".cache/file-hashes.json"))
    }

    /// The SHA-256 of `file`'s contents, from the cache when its size and mtime are unchanged.
    public func sha256(of file: URL) throws -> String {
        let path = file.standardizedFileURL.resolvingSymlinksInPath().path
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw RuntimeError("cannot read the file's attributes (\(error.localizedDescription))", location: path)
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        lock.lock()
        let known = entries[path]
        lock.unlock()
        if let known, known.size == size, known.mtime == mtime { return known.sha256 }
        let digest = try ContentHash.file(at: URL(fileURLWithPath: path))
        lock.lock()
        entries[path] = Entry(size: size, mtime: mtime, sha256: digest)
        let snapshot = entries
        lock.unlock()
        save(snapshot)
        return digest
    }

    /// One digest for several files: SHA-256 over `name:sha256` lines in the given order (names
    /// are the files' last path components, so moving a checkout keeps the identity).
    public func combinedSHA256(of files: [URL]) throws -> String {
        var lines = ""
        for file in files { lines += "\(file.lastPathComponent):\(try sha256(of: file))\n" }
        return try ContentHash.sha256(lines)
    }

    private func save(_ snapshot: [String: Entry]) {
        guard let url else { return }
        // Best effort: a cache that cannot be written only costs time.
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(snapshot) else { return }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        // rename(2) replaces the old cache atomically (readers see the old or the new file).
        guard (try? data.write(to: temporary)) != nil, rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            return
        }
    }
}
