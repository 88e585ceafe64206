import Foundation
import Testing
import TestSupport
@testable import HeadScopePrepare

@Suite(.serialized) struct ResumeAndLLMEndToEndTests {
    /// A folder of `n` images (Pillow) and a plain VQA list about them, and a config using `port`.
    func vqaProject(_ n: Int, port: Int, in dir: URL) throws {
        let data = dir.appendingPathComponent("vqa")
        try FileManager.default.createDirectory(at: data.appendingPathComponent("images"), withIntermediateDirectories: true)
        try TestSupport.python("""
        import json, sys
        from PIL import Image
        d, n = sys.argv[1], int(sys.argv[2])
        records = []
        for i in range(n):
            Image.new("RGB", (8 + i, 8), (i * 7 % 256, 100, 200)).save(f"{d}/images/img{i:03d}.png")
            records.append({"image": f"images/img{i:03d}.png", "question": f"What is in picture {i}?", "answer": f"thing {i}"})
        json.dump(records, open(d + "/questions.json", "w"), indent=1)
        json.dump({"name": "tiny", "labels": ["Perception", "Reasoning", "Decision"],
                   "descriptions": {"Perception": "seeing"}}, open(d + "/taxonomy.json", "w"))
        """, [data.path, String(n)])
        try Data("""
        # A plain VQA list decomposed by the loopback test server.
        prepare:
          input: vqa
          format: vqa
          split:
            test_fraction: 0.5
          llm:
            url: http://127.0.0.1:\(port)/v1
            model: fake-1
            backoff_seconds: 0.01
        """.utf8).write(to: dir.appendingPathComponent("vqa.yaml"))
    }

    @Test func vqaItemsAreDecomposedOnceAndCached() throws {
        let server = try FakeLLMServer(plan: "malformed,429")
        defer { server.stop() }
        let dir = try TestSupport.scratchDirectory("vqa")
        try vqaProject(4, port: server.port, in: dir)
        let result = try PrepareExecutable.run(["--config", "vqa.yaml"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try server.requestCount() == 6)
        let firstItems = try Data(contentsOf: dir.appendingPathComponent("runs/vqa/prepared/items.jsonl")) // 4 items + one malformed reply + one 429
        let prepared = dir.appendingPathComponent("runs/vqa/prepared")
        let items = try jsonLines(prepared.appendingPathComponent("items.jsonl"))
        #expect(items.count == 4)
        for (i, item) in items.enumerated() {
            let steps = item["steps"] as? [[String: String]] ?? []
            #expect(steps.map { $0["function"] ?? "" } == ["Perception", "Reasoning", "Decision"])
            #expect(steps.first?["subquestion"] == "What is asked in: What is in picture \(i)?")
            #expect(steps.last?["answer"] == "thing \(i)")
        }
        // A rerun asks nothing: every reply comes from the cache.
        let again = try PrepareExecutable.run(["--config", "vqa.yaml"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try server.requestCount() == 6)
        #expect(again.stderr.contains("0 request(s) sent, 4 answer(s) from the cache"))
        #expect(try Data(contentsOf: prepared.appendingPathComponent("items.jsonl")) == firstItems)
    }

    @Test func killedRunResumesToTheIdenticalResult() throws {
        let server = try FakeLLMServer(plan: "", defaultBehaviour: "slow")
        defer { server.stop() }
        let n = 14
        let interrupted = try TestSupport.scratchDirectory("resume-a"), clean = try TestSupport.scratchDirectory("resume-b")
        try vqaProject(n, port: server.port, in: interrupted)
        try vqaProject(n, port: server.port, in: clean)

        let running = try PrepareExecutable.Running(["--config", "vqa.yaml"], in: interrupted)
        let deadline = Date().addingTimeInterval(60)
        while try server.requestCount() < 4 && Date() < deadline { usleep(20_000) }
        running.kill(SIGKILL)
        let killed = running.wait()
        #expect(killed.signal == SIGKILL, "the run ended before it could be interrupted: \(killed.stderr)")
        let sentBeforeKill = try server.requestCount()
        #expect(sentBeforeKill < n)
        let prepared = interrupted.appendingPathComponent("runs/vqa/prepared")
        #expect(!FileManager.default.fileExists(atPath: prepared.path))
        #expect(FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("runs/vqa/.prepared.work").path))

        let resumed = try PrepareExecutable.run(["--config", "vqa.yaml"], in: interrupted)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // Nothing answered before the kill is asked again (one request may have been in flight).
        #expect(try server.requestCount() <= n + 1)

        let cleanRun = try PrepareExecutable.run(["--config", "vqa.yaml"], in: clean)
        #expect(cleanRun.status == 0, "\(cleanRun.stderr)")
        let a = try filesByPath(prepared), b = try filesByPath(clean.appendingPathComponent("runs/vqa/prepared"))
        #expect(a.keys.sorted() == b.keys.sorted())
        for (path, data) in a where path != "manifest.json" { #expect(b[path] == data, "\(path) differs") }
        #expect(try manifestWithoutTimes(prepared.appendingPathComponent("manifest.json"))
                == manifestWithoutTimes(clean.appendingPathComponent("runs/vqa/prepared/manifest.json")))
        #expect(!FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("runs/vqa/.prepared.work").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: interrupted.appendingPathComponent("runs/vqa").path)
        #expect(leftovers.sorted() == ["llm-cache", "prepared"])
    }

    @Test func killedCogShapesRunResumesToTheIdenticalResult() throws {
        let interrupted = try TestSupport.scratchDirectory("resume-cs-a"), clean = try TestSupport.scratchDirectory("resume-cs-b")
        let args = ["--generate", "cogshapes", "--seed", "5", "--count", "24", "--output", "run/prepared"]
        let running = try PrepareExecutable.Running(args, in: interrupted, environment: ["HEADSCOPE_PROGRESS": "log:0.01"])
        // Kill while images are being validated (the first progress line comes after one image).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && !running.stderrSoFar.contains("images: ") { usleep(2_000) }
        running.kill(SIGKILL)
        let killed = running.wait()
        #expect(killed.signal == SIGKILL, "the run ended before it could be interrupted")
        #expect(!FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("run/prepared/items.jsonl").path))
        let validated = interrupted.appendingPathComponent("run/.prepared.work/validated")
        #expect(try FileManager.default.contentsOfDirectory(atPath: validated.path).filter { $0.hasSuffix(".json") }.count >= 1)

        let resumed = try PrepareExecutable.run(args, in: interrupted)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("reusing the extracted archive"))
        #expect(resumed.stderr.contains("the archive is unchanged"))
        #expect(try PrepareExecutable.run(args, in: clean).status == 0)
        let a = try filesByPath(interrupted.appendingPathComponent("run")), b = try filesByPath(clean.appendingPathComponent("run"))
        #expect(a.keys.sorted() == b.keys.sorted())
        for (path, data) in a where !path.hasSuffix("manifest.json") { #expect(b[path] == data, "\(path) differs") }
    }
}
