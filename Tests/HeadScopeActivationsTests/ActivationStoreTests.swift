import Foundation
import Testing
import TestSupport
import HeadScopeCore
import HeadScopeHDF5
@testable import HeadScopeActivations

@Suite struct ActivationStoreTests {
    let attributes = StoreAttributes(toolVersion: "test", modelID: "tiny", modelSHA256: "abc", layers: 3, heads: 2,
                                     headDim: 4, promptTemplate: "t1", contextPolicy: "none", positionPolicy: "mean",
                                     judge: "normalized-match-v1")

    func rows(item: Int, count: Int) -> [ActivationRow] {
        (0..<count).map { step in
            ActivationRow(itemID: "item-\(item)", step: step, function: step % 2 == 0 ? "Math Reasoning" : "Inference",
                          subquestion: "q\(item).\(step) ✓", referenceAnswer: "\(step)", modelAnswer: "\(step)",
                          rawOutput: #"\#(step)"}]"#, correct: step != 1, answerStart: 40 + step, answerLength: 2,
                          image: "images/\(item).png", split: item % 2 == 0 ? "train" : "test",
                          z: (0..<24).map { Float(item * 1000 + step * 100 + $0) + 0.25 })
        }
    }

    @Test func shardsIndexAndReaderAgree() throws {
        let dir = try TestSupport.scratchDirectory("store")
        let store = ActivationStore(directory: dir)
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        try ShardFile.write(rows(item: 0, count: 3), attributes: attributes, index: 0, count: 3, to: store.shardURL(index: 0, count: 3))
        try ShardFile.write(rows(item: 2, count: 2), attributes: attributes, index: 2, count: 3, to: store.shardURL(index: 2, count: 3))
        #expect(try store.presentShards(count: 3) == [0, 2])
        let partial = try store.buildIndex()
        #expect(partial.missing == [1])
        #expect(partial.rows == 5)
        try ShardFile.write(rows(item: 1, count: 1), attributes: attributes, index: 1, count: 3, to: store.shardURL(index: 1, count: 3))
        let report = try store.buildIndex()
        #expect(report.isComplete && report.rows == 6)

        let reader = try ActivationReader(store: dir)
        #expect(reader.rows == 6)
        #expect(reader.attributes == attributes)
        #expect(try reader.strings("item_id") == ["item-0", "item-0", "item-0", "item-1", "item-2", "item-2"])
        #expect(try reader.ints("step") == [0, 1, 2, 0, 0, 1])
        #expect(try reader.correct() == [true, false, true, true, true, false])
        let layer1 = try reader.layer(1)
        #expect(layer1.count == 6 * 2 * 4)
        // Row 3 is item 1 step 0; layer 1 starts at offset 8 of its 24 values.
        let expected: [Float] = (8..<16).map { Float(1000 + $0) + 0.25 }
        #expect(Array(layer1[24..<32]) == expected)
        #expect(try reader.rows(4..<5) == rows(item: 2, count: 1)[0].z)
        try reader.close()
        // No temporary files are left next to the shards or the index.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path) + FileManager.default.contentsOfDirectory(atPath: store.shardsURL.path)
        #expect(leftovers.allSatisfy { !$0.contains(".tmp-") })
    }

    @Test func h5pyReadsTheIndexFromAnotherDirectory() throws {
        let dir = try TestSupport.scratchDirectory("store")
        let store = ActivationStore(directory: dir.appendingPathComponent("activations"))
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        var half = attributes
        half.half = true
        for i in 0..<2 {
            try ShardFile.write(rows(item: i, count: 2), attributes: half, index: i, count: 2, to: store.shardURL(index: i, count: 2))
        }
        try store.buildIndex()
        let moved = dir.appendingPathComponent("moved")
        try FileManager.default.moveItem(at: store.directory, to: moved)
        let out = try TestSupport.python("""
        import h5py, os, sys
        os.chdir("/")
        with h5py.File(sys.argv[1], "r") as f:
            z = f["z"]
            print(z.dtype, z.shape, f.attrs["schema_version"], f.attrs["num_heads"], f["function"].asstr()[1])
            print(float(z[3, 2, 1, 3]), f["correct"][:].tolist(), f["subquestion"].asstr()[0])
        """, [moved.appendingPathComponent("index.h5").path])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines[0] == "float16 (4, 3, 2, 4) headscope-activations/1 2 Inference")
        // Row 3 = item 1 step 1: 1000 + 100 + (2*8 + 1*4 + 3) + 0.25 = 1123.25, as half: 1123.0
        #expect(lines[1] == "1123.0 [1, 0, 1, 0] q0.0 ✓")
    }

    @Test func incompatibleShardsAreRefusedByName() throws {
        let dir = try TestSupport.scratchDirectory("store")
        let store = ActivationStore(directory: dir)
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        try ShardFile.write(rows(item: 0, count: 1), attributes: attributes, index: 0, count: 2, to: store.shardURL(index: 0, count: 2))
        var other = attributes
        other.modelSHA256 = "def"
        try ShardFile.write(rows(item: 1, count: 1), attributes: other, index: 1, count: 2, to: store.shardURL(index: 1, count: 2))
        #expect { try store.buildIndex() } throws: { error in
            "\(error)".contains("shard-00001-of-00002.h5") && "\(error)".contains("model_sha256: abc vs def")
        }
        #expect { try store.presentShards(count: 5) } throws: { "\($0)".contains("cut into 2 shards, not 5") }
        var wrong = rows(item: 3, count: 1)
        wrong[0].z.removeLast()
        #expect { try ShardFile.write(wrong, attributes: attributes, index: 0, count: 1, to: dir.appendingPathComponent("x.h5")) } throws: {
            "\($0)".contains("has 23 z values") && "\($0)".contains("needs 24")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.h5").path))
        #expect { try ActivationReader(store: dir.appendingPathComponent("nowhere")) } throws: { "\($0)".contains("no activation index") }
    }

    @Test func spaceShortagesAreRecognisedFromSystemErrors() {
        #expect(SpaceShortage(FileSystemError("write", path: "/x", code: ENOSPC)) == .diskFull)
        #expect(SpaceShortage(FileSystemError("fsync", path: "/x", code: EDQUOT)) == .quotaExceeded)
        #expect(SpaceShortage(FileSystemError("write", path: "/x", code: EFBIG)) == .fileSizeLimit)
        #expect(SpaceShortage(FileSystemError("write", path: "/x", code: EIO)) == nil)
        // HDF5's sec2 driver puts the system error in its message.
        let full = HDF5Error(.library, operation: "close file", file: "/x.h5", message:
            "H5Fflush(): unable to flush file's cached information <- file write failed: time = Sat Dec  5 07:14:57 2026 , filename = '/x.h5', file descriptor = 6, errno = 28, error message = 'No space left on device', buf = 0x55b0a1396a38")
        #expect(full.systemErrorNumber == 28 && SpaceShortage(full) == .diskFull)
        let missing = HDF5Error(.library, operation: "open file", file: "/x.h5", message: "H5Fopen(): unable to open file <- No such file or directory")
        #expect(missing.systemErrorNumber == nil && SpaceShortage(missing) == nil)
        #expect(SpaceShortage(StoreError("/x", "cannot write", shortage: .fileSizeLimit)) == .fileSizeLimit)
        #expect(SpaceShortage(StoreError("/x", "bad rows")) == nil)
    }

    /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as on CI).
    static let canMountTmpfs: Bool = {
        guard let directory = try? TestSupport.scratchDirectory("mount-check"),
              (try? TestSupport.shell("mount -t tmpfs -o size=4k tmpfs '\(directory.path)'")) != nil else { return false }
        _ = try? TestSupport.shell("umount '\(directory.path)'")
        return true
    }()

    @Test(.enabled(if: canMountTmpfs, "needs permission to mount a tmpfs"))
    func anIndexThatDoesNotFitIsExplainedAndLeavesNoFile() throws {
        // Two shards written elsewhere, then copied to a tmpfs with room for exactly them.
        let scratch = ActivationStore(directory: try TestSupport.scratchDirectory("store"))
        try FileManager.default.createDirectory(at: scratch.shardsURL, withIntermediateDirectories: true)
        for i in 0..<2 {
            try ShardFile.write(rows(item: i, count: 3), attributes: attributes, index: i, count: 2, to: scratch.shardURL(index: i, count: 2))
        }
        let sizes = try (0..<2).map { try FileManager.default.attributesOfItem(atPath: scratch.shardURL(index: $0, count: 2).path)[.size] as? Int ?? 0 }
        let disk = try TestSupport.scratchDirectory("disk")
        try TestSupport.shell("mount -t tmpfs -o size=\(sizes.reduce(0) { $0 + ($1 + 4095) / 4096 * 4 })k tmpfs '\(disk.path)'")
        defer { _ = try? TestSupport.shell("umount '\(disk.path)'") }
        try FileManager.default.copyItem(at: scratch.shardsURL, to: disk.appendingPathComponent(ActivationStore.shardsDirectory))

        let store = ActivationStore(directory: disk)
        #expect { try store.buildIndex() } throws: { error in
            let text = "\(error)"
            return (error as? StoreError)?.shortage == .diskFull && text.hasPrefix("\(store.indexURL.path): cannot write the index: no space left on the device")
                && text.contains("the 2 shards present are complete and kept") && text.contains("`headscope-extract --merge`")
                && !text.contains("H5")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == [ActivationStore.shardsDirectory])
        #expect(try store.presentShards(count: 2) == [0, 1])

        try TestSupport.shell("mount -o remount,size=\(4 * sizes.reduce(0, +) / 1024 + 64)k '\(disk.path)'")
        #expect(try store.buildIndex().isComplete)
        let reader = try ActivationReader(store: disk)
        #expect(try reader.rows(0..<reader.rows) == (rows(item: 0, count: 3) + rows(item: 1, count: 3)).flatMap(\.z))
        try reader.close()
    }
}
