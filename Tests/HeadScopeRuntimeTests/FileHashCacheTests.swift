import Foundation
import HeadScopeCore
@testable import HeadScopeRuntime
import Testing
import TestSupport

@Suite("Weight file digests")
struct FileHashCacheTests {
    @Test("digests are cached by path, size and mtime, persisted, and recomputed when a file changes")
    func caching() throws {
        let scratch = try TestSupport.scratchDirectory("hash-cache")
        let file = scratch.appendingPathComponent("weights.bin")
        try Data("first".utf8).write(to: file)
        let cacheURL = scratch.appendingPathComponent(".cache/file-hashes.json")
        let cache = FileHashCache(url: cacheURL)
        let expected = try TestSupport.shell("sha256sum '\(file.path)' | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try cache.sha256(of: file) == expected)
        #expect(FileManager.default.fileExists(atPath: cacheURL.path))

        // A fresh cache reads the stored digest: prove it by planting a wrong one for the same size and mtime.
        var stored = try JSONDecoder().decode([String: FileHashCache.Entry].self, from: Data(contentsOf: cacheURL))
        let key = try #require(stored.keys.first)
        stored[key]?.sha256 = String(repeating: "0", count: 64)
        try JSONEncoder().encode(stored).write(to: cacheURL)
        #expect(try FileHashCache(url: cacheURL).sha256(of: file) == String(repeating: "0", count: 64))

        // A changed file (size and mtime differ) is hashed again.
        try Data("second, longer".utf8).write(to: file)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 10)], ofItemAtPath: file.path)
        let changed = try TestSupport.shell("sha256sum '\(file.path)' | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try FileHashCache(url: cacheURL).sha256(of: file) == changed)

        // The combined digest is over name:digest lines in order.
        let combined = try cache.combinedSHA256(of: [file])
        #expect(combined == (try ContentHash.sha256("weights.bin:\(changed)\n")))
    }
}
