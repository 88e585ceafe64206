import Foundation
import HeadScopeArchive
import Testing
import TestSupport

/// Hostile and broken archives: each is refused with an error naming archive and entry, and
/// nothing appears outside the target directory.
@Suite struct HostileArchiveTests {
    typealias Member = ArchiveFixtures.Member

    /// A scratch directory holding `archive` and the target `dst`, with a sentinel directory
    /// `outside` next to them that must stay empty.
    struct Sandbox {
        let scratch: URL
        var archive: URL { scratch.appendingPathComponent("in.archive") }
        var target: URL { scratch.appendingPathComponent("dst") }
        var outside: URL { scratch.appendingPathComponent("outside") }

        init() throws {
            scratch = try TestSupport.scratchDirectory("hostile")
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        }

        /// Everything under the scratch directory except the target's contents.
        func outsideListing() -> [String] {
            ArchiveFixtures.listing(scratch).filter { !$0.hasPrefix("dst/") }
        }

        func cleanUp() { try? FileManager.default.removeItem(at: scratch) }
    }

    /// Extracts `members` with the default policy and checks the error and the sandbox.
    func expectRefusal(_ members: [Member], format: String = "tar", entry: String,
                       reason: ArchiveError.Reason? = nil) throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        try ArchiveFixtures.python(members, format: format, at: box.archive)
        let before = box.outsideListing()
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor().extract(archiveAt: box.archive, into: box.target)
        }
        #expect(error.entry == entry, "\(error)")
        #expect(error.description.contains(box.archive.path), "\(error)")
        #expect(error.description.contains("'\(entry)'"), "\(error)")
        if let reason { #expect(error.reason == reason, "\(error)") }
        #expect(error.isHostileEntry, "\(error)")
        #expect(box.outsideListing() == before, "something was written outside the target")
        #expect(ArchiveFixtures.listing(box.outside).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/abs/path.txt"))
    }

    @Test func parentTraversal() throws {
        try expectRefusal([.file("ok.txt", "fine"), .file("../escape.txt", "evil")],
                          entry: "../escape.txt", reason: .hostileEntry(.parentTraversal))
        try expectRefusal([.file("a/../../outside/escape.txt", "evil")],
                          entry: "a/../../outside/escape.txt", reason: .hostileEntry(.parentTraversal))
        try expectRefusal([.file("../outside/zip.txt", "evil")], format: "zip",
                          entry: "../outside/zip.txt", reason: .hostileEntry(.parentTraversal))
    }

    @Test func absolutePath() throws {
        try expectRefusal([.file("/abs/path.txt", "evil")], entry: "/abs/path.txt",
                          reason: .hostileEntry(.absolutePath))
    }

    @Test func symlinkOutThenWriteThroughIt() throws {
        try expectRefusal([.symlink("link", to: "../outside"), .file("link/pwned.txt", "evil")],
                          entry: "link", reason: .hostileEntry(.linkEscapes))
        try expectRefusal([.symlink("link", to: "/tmp"), .file("link/pwned.txt", "evil")],
                          entry: "link", reason: .hostileEntry(.linkEscapes))
        // `s -> .` is harmless alone, but `s/..` would be the directory above the target.
        try expectRefusal([.symlink("s", to: "."), .symlink("t", to: "s/../outside")],
                          entry: "t", reason: .hostileEntry(.linkEscapes))
        // An inside link is fine, but nothing is written through it.
        try expectRefusal([.dir("real"), .symlink("inner", to: "real"), .file("inner/x.txt", "x")],
                          entry: "inner/x.txt", reason: .hostileEntry(.throughSymlink))
    }

    @Test func preexistingSymlinkInTargetIsNotFollowed() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        try FileManager.default.createSymbolicLink(atPath: box.target.appendingPathComponent("pre").path,
                                                   withDestinationPath: box.outside.path)
        try ArchiveFixtures.python([.file("pre/pwned.txt", "evil")], format: "tar", at: box.archive)
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor().extract(archiveAt: box.archive, into: box.target)
        }
        #expect(error.reason == .hostileEntry(.throughSymlink))
        #expect(ArchiveFixtures.listing(box.outside).isEmpty)
    }

    @Test func hardlinkOut() throws {
        try expectRefusal([.hardlink("passwd", to: "/etc/passwd")], entry: "passwd",
                          reason: .hostileEntry(.linkEscapes))
        try expectRefusal([.hardlink("passwd", to: "../../../../etc/passwd")], entry: "passwd",
                          reason: .hostileEntry(.linkEscapes))
        // A hard link to a symbolic link placed earlier would alias whatever the link names.
        try expectRefusal([.symlink("s", to: "x"), .hardlink("h", to: "s")], entry: "h",
                          reason: .hostileEntry(.linkEscapes))
    }

    @Test func devicesAndFifos() throws {
        try expectRefusal([.fifo("pipe")], entry: "pipe", reason: .hostileEntry(.specialFile))
    }

    @Test func skipPolicyReportsHostileEntriesAndKeepsGoing() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        try ArchiveFixtures.python([
            .file("good/one.txt", "1"),
            .file("../escape.txt", "evil"),
            .symlink("link", to: "../outside"),
            .file("link/pwned.txt", "evil"),
            .fifo("pipe"),
            .hardlink("passwd", to: "/etc/passwd"),
            .file("good/two.txt", "22"),
        ], format: "tar.gz", at: box.archive)
        let before = box.outsideListing()
        let extractor = ArchiveExtractor(options: ExtractionOptions(policy: .skipHostileEntries))
        let summary = try extractor.extract(archiveAt: box.archive, into: box.target)
        #expect(summary.skipped.map(\.path) == ["../escape.txt", "link", "pipe", "passwd"])
        #expect(summary.skipped.allSatisfy { $0.reason.contains("'\($0.path)'") })
        // With the link skipped, link/pwned.txt lands in a real directory inside the target.
        #expect(summary.filesWritten == 3)
        #expect(summary.bytesWritten == 1 + 4 + 2)
        #expect(summary.entriesRead == 7)
        #expect(ArchiveFixtures.listing(box.target) == ["good", "good/one.txt", "good/two.txt", "link", "link/pwned.txt"])
        #expect(box.outsideListing() == before)
    }

    @Test func limits() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        try ArchiveFixtures.python([.file("small.txt", "abc"), .file("big.txt", String(repeating: "x", count: 5000)),
                                    .file("c.txt", "c"), .file("d.txt", "d")],
                                   format: "tar", at: box.archive)
        let perEntry = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor(options: ExtractionOptions(maxEntryBytes: 4096))
                .extract(archiveAt: box.archive, into: box.target)
        }
        #expect(perEntry.reason == .hostileEntry(.entryTooLarge))
        #expect(perEntry.entry == "big.txt")
        #expect(!FileManager.default.fileExists(atPath: box.target.appendingPathComponent("big.txt").path))

        let total = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor(options: ExtractionOptions(maxTotalBytes: 4000))
                .extract(archiveAt: box.archive, into: box.scratch.appendingPathComponent("dst2"))
        }
        #expect(total.reason == .limitExceeded)
        #expect(total.entry == "big.txt")

        let count = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor(options: ExtractionOptions(maxEntries: 3))
                .extract(archiveAt: box.archive, into: box.scratch.appendingPathComponent("dst3"))
        }
        #expect(count.reason == .limitExceeded)
        #expect(count.entry == "d.txt")
    }

    @Test func truncatedTarGz() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        let source = box.scratch.appendingPathComponent("src")
        try ArchiveFixtures.makeTree(at: source)
        try TestSupport.shell("tar -czf ../full.tar.gz a top.txt", in: source)
        let full = try Data(contentsOf: box.scratch.appendingPathComponent("full.tar.gz"))
        try full.prefix(full.count / 2).write(to: box.archive)
        let before = box.outsideListing()
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor().extract(archiveAt: box.archive, into: box.target)
        }
        #expect(error.reason == .corrupt, "\(error)")
        #expect(error.description.contains(box.archive.path))
        // The random 200 kB file spans the cut: the error names it and no partial copy remains.
        #expect(error.entry == "a/b/two.bin", "\(error)")
        #expect(!FileManager.default.fileExists(atPath: box.target.appendingPathComponent("a/b/two.bin").path))
        #expect(!ArchiveFixtures.listing(box.target).contains { $0.contains(".partial-") })
        #expect(box.outsideListing() == before)
    }

    @Test func notAnArchive() throws {
        let box = try Sandbox()
        defer { box.cleanUp() }
        try Data("just some text\nover two lines\n".utf8).write(to: box.archive)
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor().extract(archiveAt: box.archive, into: box.target)
        }
        #expect(error.description.contains(box.archive.path))
        #expect(error.reason == .cannotOpen, "\(error)")
        #expect(error.description.contains("not a tar, zip"), "\(error)")
        #expect(ArchiveFixtures.listing(box.target).isEmpty)

        let missing = try #require(throws: ArchiveError.self) {
            try ArchiveReader(path: box.scratch.appendingPathComponent("nope.tar").path)
        }
        #expect(missing.reason == .cannotOpen)
        #expect(missing.description.contains("nope.tar"))
    }
}
