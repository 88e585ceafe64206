import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a whole output directory under a temporary name and publishes it only when complete.
///
/// A stage that writes `runs/<pipeline>/prepared/` builds `.prepared.tmp-<pid>-<random>/`, and
/// only after the build closure returns are its files and directories fsynced and the directory
/// renamed into place. An existing `prepared/` is replaced only on success: it is first moved
/// aside to `.prepared.old-<pid>-<random>`, the new one renamed in, and the old one deleted. If the
/// process dies between those two renames, `AtomicFile.removeStaleTemporaries(in:)` puts the old
/// directory back.
public enum AtomicDirectory {
    /// Creates the directory at `url` by running `build` on a temporary sibling directory.
    @discardableResult
    public static func create<T>(at url: URL, _ build: (URL) throws -> T) throws -> T {
        let temporary = AtomicFile.sibling(of: url, kind: .temporary)
        guard mkdir(temporary.path, 0o755) == 0 else {
            throw FileSystemError.fromErrno("create directory", path: temporary.path)
        }
        let result: T
        do {
            result = try build(temporary)
            try syncTree(temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        let parent = url.deletingLastPathComponent()
        if AtomicFile.exists(url) {
            let previous = AtomicFile.sibling(of: url, kind: .previous)
            do {
                try AtomicFile.rename(url, to: previous)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
            do {
                try AtomicFile.rename(temporary, to: url)
            } catch {
                try? AtomicFile.rename(previous, to: url)
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
            try AtomicFile.syncDirectory(at: parent)
            do {
                try FileManager.default.removeItem(at: previous)
            } catch {
                throw FileSystemError("remove the replaced directory", path: previous.path, code: 0,
                                      reason: "\(error); the new directory is in place, delete the old one by hand")
            }
        } else {
            do {
                try AtomicFile.rename(temporary, to: url)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
            try AtomicFile.syncDirectory(at: parent)
        }
        return result
    }

    /// fsyncs every regular file and directory under `root` (files written by other libraries
    /// may not have been synced), children before parents.
    static func syncTree(_ root: URL) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        } catch {
            throw FileSystemError("list", path: root.path, code: 0, reason: "\(error)")
        }
        for name in names {
            let child = root.appendingPathComponent(name)
            var info = stat()
            guard lstat(child.path, &info) == 0 else {
                throw FileSystemError.fromErrno("stat", path: child.path)
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try syncTree(child)
            case S_IFREG: try AtomicFile.syncFile(at: child)
            default: break
            }
        }
        try AtomicFile.syncDirectory(at: root)
    }
}
