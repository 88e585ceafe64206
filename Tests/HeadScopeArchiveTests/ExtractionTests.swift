import Foundation
import HeadScopeArchive
import Testing
import TestSupport

/// Ordinary archives made by tar and zip extract to the same tree, byte for byte.
@Suite struct ExtractionTests {
    static let formats: [(name: String, command: String)] = [
        ("tar", "tar -cf ../out.tar ."),
        ("tar.gz", "tar -czf ../out.tar.gz ."),
        ("tar.zst", "tar --zstd -cf ../out.tar.zst ."),
        ("tar.xz", "tar -cJf ../out.tar.xz ."),
        ("zip", "zip -qry ../out.zip ."),
    ]

    @Test(arguments: formats.map(\.name))
    func extractsTree(format: String) throws {
        let scratch = try TestSupport.scratchDirectory("archive-\(format)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let source = scratch.appendingPathComponent("src")
        let files = try ArchiveFixtures.makeTree(at: source)
        let command = try #require(Self.formats.first { $0.name == format }).command
        try TestSupport.shell(command, in: source)
        let archive = scratch.appendingPathComponent("out.\(format)")
        let target = scratch.appendingPathComponent("dst")

        let summary = try ArchiveExtractor().extract(archiveAt: archive, into: target)

        #expect(summary.filesWritten == files.count)
        #expect(summary.symlinksCreated == 1)
        #expect(summary.skipped.isEmpty)
        let expectedBytes: Int64 = 10 + 1000 + 200_000 + 5 + 0 + 7
        #expect(summary.bytesWritten == expectedBytes)
        for path in files {
            let want = try Data(contentsOf: source.appendingPathComponent(path))
            let got = try Data(contentsOf: target.appendingPathComponent(path))
            #expect(got == want, "\(format): \(path) differs")
        }
        #expect(ArchiveFixtures.listing(target) == ArchiveFixtures.listing(source))
        let link = try FileManager.default.destinationOfSymbolicLink(
            atPath: target.appendingPathComponent("a/link-to-three").path)
        #expect(link == "b/c/three.txt")
        let mode = try FileManager.default.attributesOfItem(
            atPath: target.appendingPathComponent("a/one.bin").path)[.posixPermissions] as? Int
        #expect(mode == 0o755)
        // No temporary files left behind.
        #expect(!ArchiveFixtures.listing(target).contains { $0.contains(".partial-") })
    }

    @Test func readerStreamsEntriesAndData() throws {
        let scratch = try TestSupport.scratchDirectory("archive-reader")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let source = scratch.appendingPathComponent("src")
        try ArchiveFixtures.makeTree(at: source)
        try TestSupport.shell("tar -czf ../out.tar.gz a/b top.txt a/link-to-three", in: source)
        try TestSupport.shell("ln a/b/two.bin hard && tar -cf ../hard.tar a/b/two.bin hard", in: source)

        let reader = try ArchiveReader(path: scratch.appendingPathComponent("out.tar.gz").path)
        var seen: [String: ArchiveEntry] = [:]
        var data: [String: Data] = [:]
        try reader.forEachEntry { entry, reader in
            seen[entry.path] = entry
            if entry.kind == .file {
                var chunks = Data()
                while let chunk = try reader.readChunk(maxLength: 4096) {
                    #expect(chunk.count <= 4096)
                    chunks.append(chunk)
                }
                data[entry.path] = chunks
            }
        }
        #expect(seen["a/b/"]?.kind == .directory)
        #expect(seen["a/b/c/empty"]?.size == 0)
        #expect(seen["a/b/two.bin"]?.size == 200_000)
        #expect(seen["a/b/two.bin"]?.mode == 0o644)
        #expect(seen["a/link-to-three"]?.kind == .symlink)
        #expect(seen["a/link-to-three"]?.linkTarget == "b/c/three.txt")
        #expect(data["a/b/two.bin"] == (try Data(contentsOf: source.appendingPathComponent("a/b/two.bin"))))
        #expect(data["top.txt"] == Data("top level\n".utf8))

        let hard = try ArchiveReader.entries(ofArchiveAt: scratch.appendingPathComponent("hard.tar").path)
        #expect(hard.map(\.kind) == [.file, .hardlink])
        #expect(hard.last?.linkTarget == "a/b/two.bin")

        // readData enforces its cap whatever the header says.
        let capped = try ArchiveReader(path: scratch.appendingPathComponent("hard.tar").path)
        _ = try capped.nextEntry()
        let error = try #require(throws: ArchiveError.self) { try capped.readData(limit: 1000) }
        #expect(error.description.contains("a/b/two.bin"))
    }

    @Test func hardlinksInsideAreRecreated() throws {
        let scratch = try TestSupport.scratchDirectory("archive-hardlink")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let archive = scratch.appendingPathComponent("in.tar")
        try ArchiveFixtures.python([.file("dir/original.txt", "shared"), .hardlink("copy.txt", to: "dir/original.txt")],
                                   format: "tar", at: archive)
        let target = scratch.appendingPathComponent("dst")
        let summary = try ArchiveExtractor().extract(archiveAt: archive, into: target)
        #expect(summary.hardlinksCreated == 1)
        #expect(try String(contentsOf: target.appendingPathComponent("copy.txt"), encoding: .utf8) == "shared")
    }
}
