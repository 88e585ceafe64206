import Foundation
import Testing
import TestSupport
@testable import HeadScopeCore

@Suite struct ContentHashTests {
    @Test func knownVectors() throws {
        // FIPS 180-2 test vectors.
        #expect(try ContentHash.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try ContentHash.sha256(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try ContentHash.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func incrementalEqualsOneShot() throws {
        let hasher = try SHA256Hasher()
        hasher.update("ab")
        hasher.update(Data())
        hasher.update("c")
        #expect(hasher.finalize() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// A file bigger than two read chunks, so chunk boundaries are crossed, checked against the
    /// system's `sha256sum`.
    @Test func fileMatchesSha256sum() throws {
        let dir = try TestSupport.scratchDirectory("hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let count = 2 * ContentHash.chunkSize + 1_000_003
        var bytes = [UInt8](repeating: 0, count: count)
        for i in 0..<count { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9) }
        let url = dir.appendingPathComponent("pattern.bin")
        try Data(bytes).write(to: url)
        let expected = try TestSupport.shell("sha256sum pattern.bin | cut -d' ' -f1", in: dir)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let digest = try ContentHash.fileDigest(at: url)
        #expect(digest.sha256 == expected)
        #expect(digest.bytes == count)
        #expect(try ContentHash.sha256(Data(bytes)) == expected)

        // And exactly 1 MB of a simple pattern.
        let mb = Data((0..<1_000_000).map { UInt8($0 % 251) })
        let mbURL = dir.appendingPathComponent("one-mb.bin")
        try mb.write(to: mbURL)
        let mbExpected = try TestSupport.shell("sha256sum one-mb.bin | cut -d' ' -f1", in: dir)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try ContentHash.file(at: mbURL) == mbExpected)
    }

    @Test func missingFileErrorNamesPathAndReason() throws {
        let url = URL(fileURLWithPath: "/nonexistent/headscope/weights.safetensors")
        do {
            _ = try ContentHash.file(at: url)
            Issue.record("hashing a missing file succeeded")
        } catch let error as FileSystemError {
            #expect(error.code == ENOENT)
            #expect(error.description.contains("/nonexistent/headscope/weights.safetensors"))
            #expect(error.description.contains("No such file or directory"))
        }
    }

    private func makeTree(_ root: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("images/sub"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("empty"), withIntermediateDirectories: true)
        try Data("items\n".utf8).write(to: root.appendingPathComponent("items.jsonl"))
        try Data("A".utf8).write(to: root.appendingPathComponent("images/B.png"))
        try Data("a".utf8).write(to: root.appendingPathComponent("images/a.png"))
        try Data("deep".utf8).write(to: root.appendingPathComponent("images/sub/c.png"))
        try Data().write(to: root.appendingPathComponent("images/zero"))
    }

    /// The directory hash equals what coreutils compute from the documented listing.
    @Test func directoryMatchesShellListing() throws {
        let dir = try TestSupport.scratchDirectory("tree")
        defer { try? FileManager.default.removeItem(at: dir) }
        try makeTree(dir)
        let expected = try TestSupport.shell(
            "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum | cut -d' ' -f1",
            in: dir).trimmingCharacters(in: .whitespacesAndNewlines)
        let digest = try ContentHash.directoryDigest(at: dir)
        #expect(digest.sha256 == expected)
        #expect(digest.files.map(\.path) == ["images/B.png", "images/a.png", "images/sub/c.png", "images/zero", "items.jsonl"])
        #expect(digest.bytes == 6 + 1 + 1 + 4 + 0)
    }

    @Test func directoryHashIsStableAndSensitive() throws {
        let a = try TestSupport.scratchDirectory("tree-a")
        let b = try TestSupport.scratchDirectory("tree-b")
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        try makeTree(a)
        try makeTree(b)
        let original = try ContentHash.directory(at: a)
        #expect(try ContentHash.directory(at: a) == original)
        #expect(try ContentHash.directory(at: b) == original, "same content elsewhere, same hash")

        // Timestamps do not matter.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 0)],
                                              ofItemAtPath: b.appendingPathComponent("items.jsonl").path)
        #expect(try ContentHash.directory(at: b) == original)

        // A rename changes it.
        try FileManager.default.moveItem(at: b.appendingPathComponent("images/a.png"),
                                         to: b.appendingPathComponent("images/a2.png"))
        let renamed = try ContentHash.directory(at: b)
        #expect(renamed != original)
        try FileManager.default.moveItem(at: b.appendingPathComponent("images/a2.png"),
                                         to: b.appendingPathComponent("images/a.png"))
        #expect(try ContentHash.directory(at: b) == original)

        // A one-byte content change changes it.
        try Data("b".utf8).write(to: b.appendingPathComponent("images/a.png"))
        #expect(try ContentHash.directory(at: b) != original)

        // Excluding a path ignores it, and only it.
        try Data("x".utf8).write(to: a.appendingPathComponent("manifest.json"))
        #expect(try ContentHash.directory(at: a) != original)
        #expect(try ContentHash.directory(at: a, excluding: ["manifest.json"]) == original)
        #expect(try ContentHash.directory(at: a, excluding: ["manifest.json", "images/sub"])
                != original)
    }

    @Test func symlinkToDirectoryIsRefused() throws {
        let dir = try TestSupport.scratchDirectory("tree-link")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("real"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("loop"),
                                                   withDestinationURL: dir)
        #expect(throws: FileSystemError.self) { try ContentHash.directory(at: dir) }
    }
}
