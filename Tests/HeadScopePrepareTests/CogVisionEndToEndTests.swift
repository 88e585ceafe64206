import Foundation
import Testing
import TestSupport
@testable import HeadScopePrepare

@Suite(.serialized) struct CogVisionEndToEndTests {
    @Test func folderRoundTripKeepsChainsLabelsAnswersAndImages() throws {
        let dir = try TestSupport.scratchDirectory("cogvision-folder")
        _ = try DatasetFixtures.cogVisionFolder(in: dir)
        let result = try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let prepared = dir.appendingPathComponent("out/prepared")
        let items = try jsonLines(prepared.appendingPathComponent("items.jsonl"))
        #expect(items.map { $0["id"] as? String } == ["questions-000001", "questions-000002", "questions-000003"])
        let first = items[0]
        #expect((first["steps"] as? [[String: String]])?.map { $0["function"] ?? "" }
                == ["High-Level Vision Reception", "Low-Level Vision Reception", "Decision-Making"])
        #expect((first["options"] as? [String: String]) == ["A": "red", "B": "green", "C": "blue"])
        #expect(first["final_answer"] as? String == "A")
        #expect((items[1]["steps"] as? [[String: String]])?[1]["function"] == "Semantic Understanding")
        #expect(items[1]["split"] as? String == "test")
        #expect(items[2]["final_answer"] as? String == "1")

        // Key order on disk is fixed.
        let line = try String(contentsOf: prepared.appendingPathComponent("items.jsonl"), encoding: .utf8).split(separator: "\n")[0]
        let keys = ["\"id\"", "\"image_id\"", "\"question\"", "\"options\"", "\"final_answer\"", "\"source\"", "\"split\"", "\"steps\"", "\"tags\""]
        let positions = keys.compactMap { line.range(of: $0)?.lowerBound }
        #expect(positions.count == keys.count && positions == positions.sorted())

        // Images are stored byte for byte under <sha256 prefix>-<stem>, as hashlib sees them.
        let check = try TestSupport.python("""
        import hashlib, json, sys
        root, src = sys.argv[1], sys.argv[2]
        for line in open(root + "/images.jsonl"):
            r = json.loads(line)
            data = open(src + "/" + r["source"], "rb").read()
            h = hashlib.sha256(data).hexdigest()
            assert r["sha256"] == h and r["id"] == h[:12] + "-" + r["source"].split("/")[-1].rsplit(".", 1)[0], r
            assert open(root + "/" + r["file"], "rb").read() == data
            print(r["file"].rsplit(".", 1)[1], r["width"], r["height"])
        """, [prepared.path, dir.appendingPathComponent("cogvision").path])
        #expect(check.split(separator: "\n").sorted() == ["jpg 20 20", "png 16 16", "png 32 24"])

        let counts = try manifestCounts(prepared)
        #expect(counts["items"] == 3 && counts["steps"] == 8)
        #expect(counts["labels_dropped"] == 1 && counts["labels_dropped.Induction"] == 1)
        #expect(counts["labels_normalised"] == 2)
        #expect(counts["steps.Decision-Making"] == 2 && counts["steps.Inference"] == 0)
        #expect(counts["images_ok"] == 3 && counts["images_skipped"] == 0)
        let taxonomy = try JSONSerialization.jsonObject(with: Data(contentsOf: prepared.appendingPathComponent("taxonomy.json"))) as? [String: Any]
        #expect((taxonomy?["labels"] as? [String])?.count == 8)
    }

    @Test func everyArchiveKindGivesTheSameItems() throws {
        let dir = try TestSupport.scratchDirectory("cogvision-archives")
        let folder = try DatasetFixtures.cogVisionFolder(in: dir)
        var outputs: [String: Data] = [:]
        for kind in ["folder", "tar", "tar.gz", "tar.zst", "zip"] {
            let input: String
            if kind == "folder" { input = "cogvision" } else {
                input = "data.\(kind)"
                try DatasetFixtures.archive(folder, kind: kind, to: dir.appendingPathComponent(input))
            }
            let result = try PrepareExecutable.run(["--input", input, "--output", "\(kind)/prepared"], in: dir)
            #expect(result.status == 0, "\(kind): \(result.stderr)")
            outputs[kind] = try Data(contentsOf: dir.appendingPathComponent("\(kind)/prepared/items.jsonl"))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(kind)/.prepared.work").path))
        }
        #expect(Set(outputs.values).count == 1)
        #expect(outputs["zip"]?.isEmpty == false)
    }

    @Test func clevrFolderRoundTrip() throws {
        let dir = try TestSupport.scratchDirectory("clevr")
        let data = dir.appendingPathComponent("clevr")
        try FileManager.default.createDirectory(at: data.appendingPathComponent("images/val"), withIntermediateDirectories: true)
        try TestSupport.python("from PIL import Image; import sys; Image.new('RGB', (48, 32), (128, 128, 128)).save(sys.argv[1])",
                               [data.appendingPathComponent("images/val/CLEVR_val_000000.png").path])
        try Data(CLEVRFixtures.scenes.utf8).write(to: data.appendingPathComponent("scenes.json"))
        try Data(CLEVRFixtures.questions.utf8).write(to: data.appendingPathComponent("questions.json"))
        try Data(CLEVRFixtures.taxonomy.utf8).write(to: data.appendingPathComponent("taxonomy.json"))
        let result = try PrepareExecutable.run(["--input", "clevr", "--format", "clevr", "--scenes", "scenes.json",
                                                "--image-dir", "images/{split}", "--output", "out/prepared"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let items = try jsonLines(dir.appendingPathComponent("out/prepared/items.jsonl"))
        #expect(items.map { $0["id"] as? String } == ["clevr-val-0", "clevr-val-1", "clevr-val-2", "clevr-val-5"])
        #expect(items.map { $0["final_answer"] as? String } == ["1", "yes", "yes", "1"])
        #expect(items.allSatisfy { $0["split"] as? String == "val" })
        let counts = try manifestCounts(dir.appendingPathComponent("out/prepared"))
        #expect(counts["items_skipped"] == 2)
        #expect(counts["steps.Relational Reasoning"] == 2)
    }
}
