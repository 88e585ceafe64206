import Foundation
import Testing
import TestSupport
import HeadScopeActivations

/// The real `headscope-extract` writing to a disk that fills up part way: it must stop with an
/// error a user can act on, keep the shards finished before the failure intact, leave nothing
/// half-written under a shard's name, and resume to the same store once there is room.
///
/// The output goes to a small tmpfs (we run as root, as CI does). Where mounting is not allowed,
/// or with `HEADSCOPE_TEST_DISK_LIMIT=ulimit`, the executable runs under `ulimit -f` instead, with
/// SIGXFSZ ignored so that writes past the limit fail with EFBIG: a per-file limit, so the later
/// shards are made larger than the first (a long reference answer, stored but never prompted).
@Suite("headscope-extract on a full disk", .serialized)
struct ExtractFullDiskTests {
    /// How the output runs out of room.
    enum Room {
        /// A tmpfs mounted at the URL, sized to hold the first shard only.
        case tmpfs(URL)
        /// `ulimit -f` in 1024-byte blocks: files up to the first shard's size.
        case fileSizeLimit(blocks: Int)
    }

    static let shardCount = 3

    @Test func aFullDiskStopsWithAClearErrorKeepsFinishedShardsAndResumes() throws {
        let root = try ExtractExecutableTests.workspace()
        try Self.lengthenReferenceAnswers(in: root.appendingPathComponent("prepared"), fromItem: 2)
        // The clean run uses the same single worker as the runs below: how many threads a GEMM
        // gets can change float rounding (OpenBLAS on some CPUs), and the stores must match bit for bit.
        let clean = try ExtractExecutableTests.extract(root, into: "clean", ["--workers", "1"])
        try #require(clean.status == 0, "\(clean.stderr)")
        let cleanShards = root.appendingPathComponent("clean/shards")
        let sizes = try (0..<Self.shardCount).map { try Self.size(of: Self.shard($0, in: cleanShards)) }
        // Shard 0 fits in the room given below; shard 1 (about 20 KB more) cannot.
        try #require(sizes[1] > sizes[0] + 12_288 && sizes[2] > sizes[0] + 12_288, "shard sizes \(sizes)")

        let disk = root.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let page = 4096
        let room: Room
        if ProcessInfo.processInfo.environment["HEADSCOPE_TEST_DISK_LIMIT"] != "ulimit",
           try Self.mountTmpfs(at: disk, kilobytes: ((sizes[0] + page - 1) / page * page + page) / 1024) {
            room = .tmpfs(disk)
        } else {
            room = .fileSizeLimit(blocks: (sizes[0] + 1023) / 1024)
        }
        defer { if case .tmpfs(let mountPoint) = room { _ = try? TestSupport.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "umount '\(mountPoint.path)'"]) } }

        let output = disk.appendingPathComponent("activations")
        let failed = try Self.extract(root, into: output, room: room)
        // A clean exit with status 1, not a crash (HDF5 1.10 segfaults at exit after a failed close).
        #expect(failed.status == 1, "status \(failed.status)\n\(failed.stderr)")
        let shardPath = Self.shard(1, in: output.appendingPathComponent("shards")).path
        let errorLine = failed.stderr.split(separator: "\n").first { $0.hasPrefix("error: ") }.map(String.init) ?? ""
        switch room {
        case .tmpfs: #expect(errorLine.contains("no space left on the device (the disk is full)"), "\(failed.stderr)")
        case .fileSizeLimit: #expect(errorLine.contains("file-size limit"), "\(failed.stderr)")
        }
        #expect(errorLine.hasPrefix("error: \(shardPath): cannot write this shard"), "\(errorLine)")
        #expect(errorLine.contains("the unfinished file was removed; the 1 finished shard of 3 is kept"), "\(errorLine)")
        #expect(errorLine.contains("then rerun the same command: it resumes with the 2 missing shards"), "\(errorLine)")
        #expect(!errorLine.contains("H5") && !errorLine.contains("errno"), "a raw library error: \(errorLine)")

        // Exactly the finished shard is there: no temporary, no index, no manifest pretending the
        // run is complete; the shard holds what the uninterrupted run wrote.
        let left = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("shards").path)
        #expect(left == [ShardFile.name(index: 0, count: Self.shardCount)], "\(left)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).sorted() == ["shards"])
        #expect(try ExtractExecutableTests.contents(Self.shard(0, in: output.appendingPathComponent("shards")))
                == ExtractExecutableTests.contents(Self.shard(0, in: cleanShards)))

        // Make room and rerun the same command: it resumes and ends where the clean run did.
        switch room {
        case .tmpfs(let mountPoint):
            try TestSupport.shell("mount -o remount,size=\(4 * sizes.reduce(0, +) / 1024 + 256)k '\(mountPoint.path)'")
        case .fileSizeLimit:
            break   // the rerun below has no limit
        }
        let resumed = try Self.extract(root, into: output, room: nil)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming: 1 of 3 shards are complete; 2 to do here"), "\(resumed.stderr)")
        #expect(try ExtractExecutableTests.contents(output) == ExtractExecutableTests.contents(root.appendingPathComponent("clean")))
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
    }

    // MARK: Helpers

    static func shard(_ index: Int, in directory: URL) -> URL {
        directory.appendingPathComponent(ShardFile.name(index: index, count: shardCount))
    }

    static func size(of url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Mounts a tmpfs of `kilobytes` at `directory`; false when this process may not mount.
    static func mountTmpfs(at directory: URL, kilobytes: Int) throws -> Bool {
        let result = try TestSupport.run(URL(fileURLWithPath: "/bin/sh"),
                                         ["-c", "mount -t tmpfs -o size=\(kilobytes)k tmpfs '\(directory.path)'"])
        return result.status == 0
    }

    /// `headscope-extract` with the workspace's settings writing to `output`, under the file-size
    /// limit when `room` asks for one.
    static func extract(_ root: URL, into output: URL, room: Room?) throws -> TestSupport.ProcessResult {
        let arguments = [
            ExtractExecutableTests.executable("headscope-extract").path,
            "--prepared", root.appendingPathComponent("prepared").path, "--output", output.path,
            "--model", root.appendingPathComponent("model").path, "--items-per-shard", "2", "--limit", "6",
            "--max-new-tokens", "4",
            // One worker: shards are then written in order, so the one that meets the full disk is
            // always shard 1 (with several, shard 2 can be written first).
            "--workers", "1",
        ]
        var script = #"exec "$@""#
        if case .fileSizeLimit(let blocks) = room {
            // An ignored signal stays ignored across exec, so the write fails with EFBIG instead.
            script = "trap '' XFSZ; ulimit -f \(blocks); " + script
        }
        return try TestSupport.run(URL(fileURLWithPath: "/bin/bash"), ["-c", script, "bash"] + arguments,
                                   environment: ["HEADSCOPE_PROGRESS": "off"])
    }

    /// Gives the first step of every item from `first` on a 20 KB reference answer, so that the
    /// shards after the first are clearly larger (HDF5 keeps variable-length strings
    /// uncompressed). The model never sees reference answers under the `none` context policy.
    static func lengthenReferenceAnswers(in prepared: URL, fromItem first: Int) throws {
        let url = prepared.appendingPathComponent("items.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        var generator = SeededLetters(seed: 7)
        var edited: [String] = []
        for (index, line) in lines.enumerated() {
            guard index >= first, var item = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  var steps = item["steps"] as? [[String: Any]], !steps.isEmpty else {
                edited.append(String(line))
                continue
            }
            steps[0]["answer"] = String((0..<20_000).map { _ in generator.next() })
            item["steps"] = steps
            edited.append(String(decoding: try JSONSerialization.data(withJSONObject: item, options: [.sortedKeys]), as: UTF8.self))
        }
        try (edited.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    /// Letters from a fixed linear congruential sequence (incompressible enough, reproducible).
    struct SeededLetters {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> Character {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Character(UnicodeScalar(UInt8(97 + (state >> 33) % 26)))
        }
    }
}
