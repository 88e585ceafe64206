import Foundation
import Testing
import TestSupport
@testable import HeadScopeCore

@Suite struct ManifestTests {
    private func sample() -> Manifest {
        // 1_700_000_000 s after the epoch is 2023-11-14T22:13:20Z.
        var manifest = Manifest(stage: "extract",
                                configuration: ["shard_rows": 512, "model": ["id": "tiny", "dtype": "f32"],
                                                "layers": [0, 1, 2], "scale": 0.5, "resume": true, "note": nil],
                                startedAt: Date(timeIntervalSince1970: 1_700_000_000.1231))
        manifest.inputs = [
            .init(role: "prepared", path: "runs/demo/prepared", sha256: String(repeating: "a", count: 64),
                  bytes: 1234, manifestSHA256: String(repeating: "b", count: 64), stage: "prepare"),
            .init(role: "model", path: "/models/tiny.gguf", sha256: String(repeating: "c", count: 64), bytes: 99),
        ]
        manifest.counts = ["items": 40, "shards": 2]
        manifest.outputs = [.init(path: "shard-00000.h5", sha256: String(repeating: "d", count: 64), bytes: 77),
                            .init(path: "index.h5")]
        manifest.notes = ["resumed from shard 1"]
        manifest.finish(at: Date(timeIntervalSince1970: 1_700_000_065.5))
        return manifest
    }

    @Test func roundTripAndKeyNames() throws {
        let manifest = sample()
        let data = try manifest.encoded()
        let decoded = try JSONDecoder().decode(Manifest.self, from: data)
        #expect(decoded == manifest)
        #expect(decoded.configuration["shard_rows"] == .int(512))
        #expect(decoded.configuration["scale"] == .double(0.5))
        #expect(decoded.configuration["note"] == .null)

        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["schema_version", "stage", "tool_version", "started_at", "finished_at",
                                     "inputs", "configuration", "counts", "outputs", "notes"])
        #expect(object["schema_version"] as? Int == 1)
        #expect(object["tool_version"] as? String == "0.1.0")
        #expect(object["started_at"] as? String == "2023-11-14T22:13:20.123Z")
        #expect(object["finished_at"] as? String == "2023-11-14T22:14:25.500Z")
        let inputs = try #require(object["inputs"] as? [[String: Any]])
        #expect(Set(inputs[0].keys) == ["role", "path", "sha256", "bytes", "manifest_sha256", "stage"])
        #expect(inputs[1]["manifest_sha256"] is NSNull)
        let outputs = try #require(object["outputs"] as? [[String: Any]])
        #expect(Set(outputs[1].keys) == ["path", "sha256", "bytes"])

        // Deterministic bytes: sorted keys, so the configuration's keys appear in order.
        #expect(try manifest.encoded() == data)
        let text = String(decoding: data, as: UTF8.self)
        let keysInOrder = ["\"layers\"", "\"model\"", "\"note\"", "\"resume\"", "\"scale\"", "\"shard_rows\""]
        let positions = keysInOrder.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == keysInOrder.count && positions == positions.sorted())
        #expect(text.hasSuffix("}\n"))
    }

    @Test func saveAndLoad() throws {
        let dir = try TestSupport.scratchDirectory("manifest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = sample()
        try manifest.save(inDirectory: dir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["manifest.json"])
        let loaded = try Manifest.load(stageDirectory: dir, expectingStage: "extract")
        #expect(loaded == manifest)
        #expect(loaded.location?.path == dir.appendingPathComponent("manifest.json").path)
    }

    @Test func wrongStageIsRefusedWithClearMessage() throws {
        let dir = try TestSupport.scratchDirectory("manifest-stage")
        defer { try? FileManager.default.removeItem(at: dir) }
        try sample().save(inDirectory: dir)
        do {
            _ = try Manifest.load(stageDirectory: dir, expectingStage: "prepare")
            Issue.record("an extract manifest was accepted as prepare")
        } catch let error as ManifestError {
            let text = error.description
            #expect(text.contains(dir.appendingPathComponent("manifest.json").path))
            #expect(text.contains("expected the manifest of stage `prepare`, found stage `extract`"))
            #expect(text.contains("make prepare"))
        }
    }

    @Test func schemaAndUnfinishedAreRefused() throws {
        var manifest = sample()
        manifest.schemaVersion = 7
        do {
            try manifest.requireSchema(1)
            Issue.record("schema 7 accepted")
        } catch let error as ManifestError {
            #expect(error.description.contains("schema version 7"))
            #expect(error.description.contains("reads schema version 1"))
            #expect(error.description.contains("re-run `make extract`"))
        }
        #expect(throws: Never.self) { try manifest.requireSchema(1...7) }

        let dir = try TestSupport.scratchDirectory("manifest-unfinished")
        defer { try? FileManager.default.removeItem(at: dir) }
        var running = Manifest(stage: "prepare")
        running.finishedAt = nil
        try running.save(inDirectory: dir)
        do {
            _ = try Manifest.load(stageDirectory: dir, expectingStage: "prepare")
            Issue.record("unfinished manifest accepted")
        } catch let error as ManifestError {
            #expect(error.description.contains("never finished"))
            #expect(error.description.contains("make prepare"))
        }
    }

    @Test func missingAndCorruptManifests() throws {
        let dir = try TestSupport.scratchDirectory("manifest-missing")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try Manifest.load(stageDirectory: dir, expectingStage: "prepare")
            Issue.record("missing manifest accepted")
        } catch let error as ManifestError {
            #expect(error == .missing(file: dir.appendingPathComponent("manifest.json").path,
                                      remedy: "run `make prepare` first"))
            #expect(error.description.contains("run `make prepare` first"))
        }
        try Data(#"{"schema_version": 1, "stage": "prepare"}"#.utf8).write(to: dir.appendingPathComponent("manifest.json"))
        do {
            _ = try Manifest.load(stageDirectory: dir, expectingStage: "prepare")
            Issue.record("incomplete manifest accepted")
        } catch let error as ManifestError {
            #expect(error.description.contains("not a valid manifest"))
            #expect(error.description.contains("tool_version"))
        }
    }

    @Test func recordedInputHashesAreVerified() throws {
        let root = try TestSupport.scratchDirectory("manifest-inputs")
        defer { try? FileManager.default.removeItem(at: root) }
        // An upstream stage output.
        let prepared = root.appendingPathComponent("prepared")
        try FileManager.default.createDirectory(at: prepared, withIntermediateDirectories: true)
        try Data("{\"id\": 1}\n".utf8).write(to: prepared.appendingPathComponent("items.jsonl"))
        var upstream = Manifest(stage: "prepare")
        upstream.finish()
        try upstream.save(inDirectory: prepared)
        // A plain file input.
        let weights = root.appendingPathComponent("weights.bin")
        try Data(repeating: 3, count: 1000).write(to: weights)

        var manifest = Manifest(stage: "extract")
        manifest.inputs = [
            try .stageOutput(role: "prepared", url: prepared, recordedPath: "prepared", expectingStage: "prepare"),
            try .hashing(role: "model", url: weights, recordedPath: "weights.bin"),
        ]
        manifest.location = root.appendingPathComponent("activations/manifest.json")
        #expect(manifest.inputs[0].stage == "prepare")
        #expect(manifest.inputs[0].manifestSHA256 == (try ContentHash.file(at: prepared.appendingPathComponent("manifest.json"))))
        #expect(manifest.inputs[0].sha256 == (try ContentHash.directory(at: prepared)))
        #expect(manifest.inputs[1].bytes == 1000)
        try manifest.verifyInputs(relativeTo: root)

        // Change the weights: the error names the role, file, both hashes and the remedy.
        let oldHash = manifest.inputs[1].sha256
        try Data(repeating: 4, count: 1000).write(to: weights)
        let newHash = try ContentHash.file(at: weights)
        do {
            try manifest.verifyInputs(relativeTo: root)
            Issue.record("changed input accepted")
        } catch let error as ManifestError {
            let text = error.description
            #expect(text.contains("input `model`"))
            #expect(text.contains(weights.path))
            #expect(text.contains("expected \(oldHash)"))
            #expect(text.contains("has sha256 \(newHash)"))
            #expect(text.contains("re-run `make extract`"))
        }
        try Data(repeating: 3, count: 1000).write(to: weights)
        try manifest.verifyInputs(relativeTo: root)

        // Re-running prepare (a new manifest) is detected through the manifest hash.
        var rerun = Manifest(stage: "prepare", startedAt: Date(timeIntervalSince1970: 5))
        rerun.finish(at: Date(timeIntervalSince1970: 6))
        try rerun.save(inDirectory: prepared)
        do {
            try manifest.verifyInputs(relativeTo: root)
            Issue.record("re-run upstream accepted")
        } catch let error as ManifestError {
            #expect(error.description.contains("input `prepared`"))
            #expect(error.description.contains("manifest sha256"))
        }

        // A vanished input.
        try FileManager.default.removeItem(at: weights)
        #expect(throws: ManifestError.self) { try manifest.verify(manifest.inputs[1], relativeTo: root) }
    }

    @Test func outputsAreVerified() throws {
        let dir = try TestSupport.scratchDirectory("manifest-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("scores".utf8).write(to: dir.appendingPathComponent("scores.json"))
        var manifest = Manifest(stage: "probe")
        manifest.outputs = [try .hashing("scores.json", in: dir)]
        #expect(manifest.outputs[0].sha256 == (try ContentHash.sha256("scores")))
        try manifest.verifyOutputs(in: dir)
        try Data("Scores".utf8).write(to: dir.appendingPathComponent("scores.json"))
        #expect(throws: ManifestError.self) { try manifest.verifyOutputs(in: dir) }
    }

    @Test func jsonValueDecodesEachKind() throws {
        let text = #"{"a": null, "b": true, "c": 3, "d": 2.5, "e": "x", "f": [1, "y"], "g": {"h": false}, "i": -9007199254740993}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value == ["a": nil, "b": true, "c": 3, "d": 2.5, "e": "x", "f": [1, "y"], "g": ["h": false],
                          "i": .int(-9007199254740993)])
        let encoded = String(decoding: try JSONValue.encodeCompact(value), as: UTF8.self)
        #expect(encoded == #"{"a":null,"b":true,"c":3,"d":2.5,"e":"x","f":[1,"y"],"g":{"h":false},"i":-9007199254740993}"#)
    }
}
