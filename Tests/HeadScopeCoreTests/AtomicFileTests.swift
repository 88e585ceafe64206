import Foundation
import Testing
import TestSupport
@testable import HeadScopeCore

private struct Interrupted: Error {}

@Suite struct AtomicFileTests {
    private func entries(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func writeReplacesAndLeavesNoTemporary() throws {
        let dir = try TestSupport.scratchDirectory("atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("items.jsonl")
        try AtomicFile.write("first\n", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "first\n")
        try AtomicFile.write(Data("second\n".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second\n")
        #expect(try entries(dir) == ["items.jsonl"])
    }

    @Test func interruptedWriteKeepsOldFile() throws {
        let dir = try TestSupport.scratchDirectory("atomic-fail")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("scores.json")
        try AtomicFile.write("old content", to: url)
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: url) { writer in
                // More than the writer's buffer, so bytes really reach the temporary file.
                try writer.write(Data(repeating: 0x41, count: 3 << 20))
                try writer.write("partial")
                throw Interrupted()
            }
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "old content")
        #expect(try entries(dir) == ["scores.json"])

        // The same through the by-path variant used for files other libraries write.
        #expect(throws: Interrupted.self) {
            try AtomicFile.replace(url) { temporary in
                try Data("half".utf8).write(to: temporary)
                throw Interrupted()
            }
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "old content")
        #expect(try entries(dir) == ["scores.json"])
    }

    @Test func streamedWriteIsComplete() throws {
        let dir = try TestSupport.scratchDirectory("atomic-stream")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("big.bin")
        var expected = Data()
        let total = try AtomicFile.write(to: url) { writer -> Int in
            for i in 0..<300 {
                let chunk = Data((0..<(7919 + i)).map { UInt8(truncatingIfNeeded: $0 &+ i) })
                expected.append(chunk)
                try writer.write(chunk)
            }
            try writer.write(Data(repeating: 7, count: 2 << 20))
            expected.append(Data(repeating: 7, count: 2 << 20))
            return writer.bytesWritten
        }
        #expect(total == expected.count)
        #expect(try Data(contentsOf: url) == expected)
    }

    @Test func temporaryNameFormat() throws {
        let url = URL(fileURLWithPath: "/tmp/x/shard-00012.h5")
        let name = AtomicFile.temporaryURL(for: url).lastPathComponent
        let prefix = ".shard-00012.h5.tmp-\(getpid())-"
        #expect(name.hasPrefix(prefix))
        let random = name.dropFirst(prefix.count)
        #expect(random.count == 8 && random.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(AtomicFile.temporaryURL(for: url).deletingLastPathComponent().path == "/tmp/x")
        let parsed = AtomicFile.ParsedSiblingName(name)
        #expect(parsed?.original == "shard-00012.h5")
        #expect(parsed?.pid == getpid())
        #expect(AtomicFile.ParsedSiblingName("shard-00012.h5") == nil)
        #expect(AtomicFile.ParsedSiblingName(".hidden") == nil)
    }

    @Test func errorsCarryPathAndErrnoText() throws {
        let url = URL(fileURLWithPath: "/nonexistent-dir-headscope/out.json")
        do {
            try AtomicFile.write("x", to: url)
            Issue.record("write into a missing directory succeeded")
        } catch let error as FileSystemError {
            #expect(error.code == ENOENT)
            #expect(error.description.contains("/nonexistent-dir-headscope/.out.json.tmp-"))
            #expect(error.description.contains("No such file or directory"))
        }
    }

    /// A process id that is certainly not running: a child that has exited and been reaped.
    private func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func staleTemporariesAreRemovedLiveOnesKept() throws {
        let dir = try TestSupport.scratchDirectory("stale")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dead = try deadPID()
        let staleFile = dir.appendingPathComponent(".items.jsonl.tmp-\(dead)-0badf00d")
        let staleDir = dir.appendingPathComponent(".prepared.tmp-\(dead)-12345678")
        let ours = dir.appendingPathComponent(".scores.json.tmp-\(getpid())-abcdef01")
        let aside = dir.appendingPathComponent(".probes.old-\(dead)-00000001")
        let unrelated = dir.appendingPathComponent(".gitignore")
        try Data("x".utf8).write(to: staleFile)
        try FileManager.default.createDirectory(at: staleDir.appendingPathComponent("images"), withIntermediateDirectories: true)
        try Data("y".utf8).write(to: ours)
        try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
        try Data("kept".utf8).write(to: aside.appendingPathComponent("scores.h5"))
        try Data("z".utf8).write(to: unrelated)

        // A minimum age keeps fresh temporaries even of dead processes.
        let young = try AtomicFile.removeStaleTemporaries(in: dir, minimumAge: 3600)
        #expect(young == AtomicFile.CleanupReport())

        let report = try AtomicFile.removeStaleTemporaries(in: dir)
        #expect(Set(report.removed.map(\.lastPathComponent)) == [staleFile.lastPathComponent, staleDir.lastPathComponent])
        #expect(report.restored.map(\.lastPathComponent) == ["probes"])
        #expect(try entries(dir) == [".gitignore", ours.lastPathComponent, "probes"])
        #expect(try String(contentsOf: dir.appendingPathComponent("probes/scores.h5"), encoding: .utf8) == "kept")
    }

    @Test func atomicDirectoryReplacesOnlyOnSuccess() throws {
        let parent = try TestSupport.scratchDirectory("atomic-dir")
        defer { try? FileManager.default.removeItem(at: parent) }
        let target = parent.appendingPathComponent("prepared")
        try AtomicDirectory.create(at: target) { dir in
            try AtomicFile.write("v1", to: dir.appendingPathComponent("items.jsonl"))
        }
        #expect(try String(contentsOf: target.appendingPathComponent("items.jsonl"), encoding: .utf8) == "v1")

        #expect(throws: Interrupted.self) {
            try AtomicDirectory.create(at: target) { dir in
                try AtomicFile.write("v2", to: dir.appendingPathComponent("items.jsonl"))
                // The half-built directory is not visible under the real name.
                #expect(try String(contentsOf: target.appendingPathComponent("items.jsonl"), encoding: .utf8) == "v1")
                throw Interrupted()
            }
        }
        #expect(try String(contentsOf: target.appendingPathComponent("items.jsonl"), encoding: .utf8) == "v1")
        #expect(try entries(parent) == ["prepared"])

        let count = try AtomicDirectory.create(at: target) { dir -> Int in
            try AtomicFile.write("v3", to: dir.appendingPathComponent("other.txt"))
            return 1
        }
        #expect(count == 1)
        #expect(try entries(target) == ["other.txt"])
        #expect(try entries(parent) == ["prepared"])
    }
}
