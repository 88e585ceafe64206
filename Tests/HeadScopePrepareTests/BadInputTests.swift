import Foundation
import Testing
import TestSupport
@testable import HeadScopePrepare

/// Bad input: each gives a clear message and a non-zero exit, or a counted skip; never a crash
/// and never a half-written items.jsonl.
@Suite(.serialized) struct BadInputTests {
    func expectFailure(_ result: PrepareExecutable.Result, mentions parts: [String], _ prepared: URL,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 1, "status \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.signal == nil, sourceLocation: sourceLocation)
        #expect(result.stderr.contains("error: "), sourceLocation: sourceLocation)
        for part in parts { #expect(result.stderr.contains(part), "stderr lacks \(part): \(result.stderr)", sourceLocation: sourceLocation) }
        #expect(!FileManager.default.fileExists(atPath: prepared.appendingPathComponent("items.jsonl").path), sourceLocation: sourceLocation)
    }

    @Test func malformedJSONNamesLineAndColumn() throws {
        let dir = try TestSupport.scratchDirectory("bad-json")
        let folder = try DatasetFixtures.cogVisionFolder(in: dir)
        // Line 3: a doubled comma at column 18.
        try Data("[\n  {\"question\": \"a\",\n   \"answer\": \"b\",,\n  }\n]\n".utf8).write(to: folder.appendingPathComponent("questions.json"))
        let result = try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared"], in: dir)
        expectFailure(result, mentions: ["cogvision/questions.json:3:18: malformed JSON"], dir.appendingPathComponent("out/prepared"))
    }

    @Test func unknownLabelsFailOrAreCounted() throws {
        let dir = try TestSupport.scratchDirectory("bad-labels")
        let folder = try DatasetFixtures.cogVisionFolder(in: dir)
        let text = DatasetFixtures.questions.replacingOccurrences(of: "\"Math Reasoning\"", with: "\"Arithmetic Wizardry\"")
        try Data(text.utf8).write(to: folder.appendingPathComponent("questions.json"))
        let failed = try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared"], in: dir)
        expectFailure(failed, mentions: ["\"Arithmetic Wizardry\" (entries 3)", "on_unknown_label"], dir.appendingPathComponent("out/prepared"))

        let skipped = try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared", "--on-unknown-label", "skip"], in: dir)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let counts = try manifestCounts(dir.appendingPathComponent("out/prepared"))
        #expect(counts["unknown_labels_skipped"] == 1 && counts["unknown_labels_skipped.Arithmetic Wizardry"] == 1)
        #expect(counts["items"] == 3 && counts["steps"] == 7)
    }

    @Test func missingImagesFailOrAreSkipped() throws {
        let dir = try TestSupport.scratchDirectory("bad-missing")
        let folder = try DatasetFixtures.cogVisionFolder(in: dir)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("images/0002.png"))
        let failed = try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared"], in: dir)
        expectFailure(failed, mentions: ["image \"images/0002.png\" is not in the input", "questions.json#2"], dir.appendingPathComponent("out/prepared"))

        let skipped = try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared", "--on-missing-image", "skip"], in: dir)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let counts = try manifestCounts(dir.appendingPathComponent("out/prepared"))
        #expect(counts["items"] == 2 && counts["images_missing"] == 1 && counts["items_skipped.image missing"] == 1)
    }

    @Test func corruptImagesAreReportedSkippedAndCounted() throws {
        let dir = try TestSupport.scratchDirectory("bad-corrupt")
        let folder = try DatasetFixtures.cogVisionFolder(in: dir)
        let png = folder.appendingPathComponent("images/0001.png")
        try Data(try Data(contentsOf: png).prefix(40)).write(to: png)                       // truncated PNG
        try Data((0..<300).map { UInt8($0 % 251) }).write(to: folder.appendingPathComponent("images/0003.jpg")) // not an image
        let result = try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("skipping image images/0001.png"))
        #expect(result.stderr.contains("skipping image images/0003.jpg"))
        let counts = try manifestCounts(dir.appendingPathComponent("out/prepared"))
        #expect(counts["items"] == 1 && counts["images_ok"] == 1 && counts["images_skipped"] == 2)
        #expect(counts["items_skipped.image unreadable"] == 2)
    }

    @Test func allImagesBadIsAnErrorAndAnEarlierResultSurvives() throws {
        let dir = try TestSupport.scratchDirectory("bad-all")
        let folder = try DatasetFixtures.cogVisionFolder(in: dir)
        #expect(try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared"], in: dir).status == 0)
        let before = try filesByPath(dir.appendingPathComponent("out/prepared"))
        for name in ["0001.png", "0002.png", "0003.jpg"] {
            try Data("nope".utf8).write(to: folder.appendingPathComponent("images/\(name)"))
        }
        let result = try PrepareExecutable.run(["--input", "cogvision", "--output", "out/prepared"], in: dir)
        #expect(result.status == 1 && result.stderr.contains("no usable items"))
        #expect(try filesByPath(dir.appendingPathComponent("out/prepared")) == before)
    }

    @Test func hostileArchivesAreRefusedOrTheirEntriesSkipped() throws {
        let dir = try TestSupport.scratchDirectory("bad-hostile")
        let folder = try DatasetFixtures.cogVisionFolder(in: dir)
        try TestSupport.python("""
        import io, os, sys, tarfile
        src, dst = sys.argv[1], sys.argv[2]
        with tarfile.open(dst, "w:gz") as t:
            for f in sorted(os.listdir(src + "/images")): t.add(src + "/images/" + f, "images/" + f)
            t.add(src + "/questions.json", "questions.json"); t.add(src + "/taxonomy.json", "taxonomy.json")
            evil = b"pwned"
            info = tarfile.TarInfo("../escaped.txt"); info.size = len(evil); t.addfile(info, io.BytesIO(evil))
        """, [folder.path, dir.appendingPathComponent("evil.tar.gz").path])
        let refused = try PrepareExecutable.run(["--input", "evil.tar.gz", "--output", "run/prepared"], in: dir)
        expectFailure(refused, mentions: ["../escaped.txt", "refused", "on_hostile_entry"], dir.appendingPathComponent("run/prepared"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/escaped.txt").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("escaped.txt").path))

        let skipped = try PrepareExecutable.run(["--input", "evil.tar.gz", "--output", "run/prepared", "--on-hostile-entry", "skip"], in: dir)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(try manifestCounts(dir.appendingPathComponent("run/prepared"))["archive_entries_skipped"] == 1)

        // Not an archive at all.
        try Data("just text".utf8).write(to: dir.appendingPathComponent("fake.tar.gz"))
        let fake = try PrepareExecutable.run(["--input", "fake.tar.gz", "--output", "fake/prepared"], in: dir)
        expectFailure(fake, mentions: ["fake.tar.gz"], dir.appendingPathComponent("fake/prepared"))
    }

    @Test func unreachableLLMEndpointStopsWithAClearMessage() throws {
        let dir = try TestSupport.scratchDirectory("bad-llm")
        let folder = try DatasetFixtures.cogVisionFolder(in: dir)
        try Data(#"[{"image": "images/0001.png", "question": "What color?", "answer": "red"}]"#.utf8)
            .write(to: folder.appendingPathComponent("vqa.json"))
        let server = try FakeLLMServer()
        let port = server.port
        server.stop()
        try Data("""
        prepare:
          input: cogvision
          format: vqa
          questions: vqa.json
          llm:
            url: http://127.0.0.1:\(port)/v1
            model: fake-1
            max_retries: 2
            backoff_seconds: 0.01
        """.utf8).write(to: dir.appendingPathComponent("vqa.yaml"))
        let result = try PrepareExecutable.run(["--config", "vqa.yaml"], in: dir)
        expectFailure(result, mentions: ["http://127.0.0.1:\(port)/v1/chat/completions", "after 3 tries"], dir.appendingPathComponent("runs/vqa/prepared"))
    }

    @Test func badCommandLinesAreRefusedWithAMessage() throws {
        let dir = try TestSupport.scratchDirectory("bad-cli")
        _ = try DatasetFixtures.cogVisionFolder(in: dir)
        for (args, fragment) in [
            (["--input", "cogvision", "--output", "o/prepared", "--format", "coco"], "--format coco"),
            (["--input", "cogvision"], "--output"),
            (["--input", "nowhere", "--output", "o/prepared"], "the input does not exist"),
            (["--input", "cogvision", "--output", "o/prepared", "--taxonomy", "missing.json"], "taxonomy"),
            (["--input", "cogvision", "--output", "o/prepared", "--format", "vqa"], "--llm-url"),
        ] {
            let result = try PrepareExecutable.run(args, in: dir)
            #expect(result.status != 0 && result.signal == nil, "\(args)")
            #expect(result.stderr.contains(fragment), "\(args): \(result.stderr)")
        }
    }

    @Test func configErrorsNameTheLine() throws {
        let dir = try TestSupport.scratchDirectory("bad-config")
        try Data("prepare:\n  input: x\n  fromat: cogvision\n".utf8).write(to: dir.appendingPathComponent("p.yaml"))
        let result = try PrepareExecutable.run(["--config", "p.yaml"], in: dir)
        #expect(result.status != 0)
        #expect(result.stderr.contains("p.yaml:3") && result.stderr.contains("format"), "\(result.stderr)")
    }
}
