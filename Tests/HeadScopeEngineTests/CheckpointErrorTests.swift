import Foundation
import HeadScopeEngine
import Testing
import TestSupport

/// Broken checkpoints must fail with errors that name the file, the tensor or key, and what was
/// expected versus found.
@Suite("Broken checkpoints")
struct CheckpointErrorTests {
    /// A scratch copy of a fixture checkpoint to damage.
    static func copy(_ name: String) throws -> URL {
        let target = try TestSupport.scratchDirectory("engine").appendingPathComponent(name)
        try FileManager.default.copyItem(at: EngineFixture.directory.appendingPathComponent(name), to: target)
        return target
    }

    /// Loads `directory` and returns the error, recording an issue if loading succeeds.
    static func loadError(_ directory: URL, sourceLocation: SourceLocation = #_sourceLocation) -> EngineError? {
        do {
            _ = try VisionLanguageModel.load(from: directory)
            Issue.record("loading succeeded", sourceLocation: sourceLocation)
        } catch let error as EngineError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    static func editConfig(_ directory: URL, _ body: (inout [String: Any]) -> Void) throws {
        let url = directory.appendingPathComponent("config.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        body(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    /// Replaces bytes of the safetensors header in place (same length, so offsets stay valid).
    static func editHeader(_ file: URL, replacing old: String, with new: String) throws {
        precondition(old.utf8.count == new.utf8.count)
        var data = try Data(contentsOf: file)
        let range = try #require(data.range(of: Data(old.utf8)))
        data.replaceSubrange(range, with: Data(new.utf8))
        try data.write(to: file)
    }

    @Test("a truncated safetensors file names the file and the tensor that runs past its end")
    func truncated() throws {
        let dir = try Self.copy("llava_clip_llama")
        let file = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        let error = try #require(Self.loadError(dir))
        #expect(error.kind == .format)
        #expect(error.description.contains("model.safetensors") && error.description.contains("truncated"))
        #expect(error.description.contains("ends at byte"), "\(error)")
        // Cut inside the header as well.
        try data.prefix(100).write(to: file)
        let header = try #require(Self.loadError(dir))
        #expect(header.kind == .format && header.description.contains("header claims"), "\(header)")
    }

    @Test("a missing tensor is named with its expected shape")
    func missingTensor() throws {
        let dir = try Self.copy("llava_clip_llama")
        try Self.editHeader(dir.appendingPathComponent("model.safetensors"),
                            replacing: "language_model.model.norm.weight", with: "language_model.model.nrm0.weight")
        let error = try #require(Self.loadError(dir))
        #expect(error.kind == .missingTensor)
        #expect(error.description.contains("language_model.norm.weight") && error.description.contains("[32]"), "\(error)")
    }

    @Test("a tensor of the wrong shape names expected and found shapes")
    func wrongShape() throws {
        let dir = try Self.copy("llava_clip_llama")
        try Self.editConfig(dir) { json in
            var text = json["text_config"] as! [String: Any]
            text["intermediate_size"] = 48
            json["text_config"] = text
        }
        let error = try #require(Self.loadError(dir))
        #expect(error.kind == .shape)
        #expect(error.description.contains("[64, 32]") && error.description.contains("expected [48, 32]"), "\(error)")
        #expect(error.description.contains("model.safetensors"))
    }

    @Test("an unsupported dtype names the tensor and the dtype")
    func wrongDType() throws {
        let dir = try Self.copy("llava_clip_llama")
        let file = dir.appendingPathComponent("model.safetensors")
        // The first tensor entry's dtype in the header: F32 -> I32.
        try Self.editHeader(file, replacing: #""dtype":"F32""#, with: #""dtype":"I32""#)
        let error = try #require(Self.loadError(dir))
        #expect(error.kind == .dtype && error.description.contains("I32"), "\(error)")
    }

    @Test("a config without a required key names the key path")
    func missingKey() throws {
        let dir = try Self.copy("llava_siglip_qwen2")
        try Self.editConfig(dir) { json in
            var text = json["text_config"] as! [String: Any]
            text.removeValue(forKey: "hidden_size")
            json["text_config"] = text
        }
        let error = try #require(Self.loadError(dir))
        #expect(error.kind == .configuration)
        #expect(error.description.contains("text_config.hidden_size") && error.description.contains("config.json"), "\(error)")
    }

    @Test("unknown architectures and unsupported RoPE types are refused by name", arguments: [
        ("model_type", "blip2", "\"blip2\""),
        ("text_config.model_type", "gemma", "\"gemma\""),
        ("vision_config.model_type", "vit", "\"vit\""),
        ("text_config.rope_parameters.rope_type", "yarn", "\"yarn\""),
    ])
    func unsupported(key: String, value: String, expected: String) throws {
        let dir = try Self.copy("llava_dinov2_llama")
        try Self.editConfig(dir) { json in
            let parts = key.split(separator: ".").map(String.init)
            func set(_ object: inout [String: Any], _ path: ArraySlice<String>) {
                if path.count == 1 { object[path.first!] = value; return }
                var inner = object[path.first!] as! [String: Any]
                set(&inner, path.dropFirst())
                object[path.first!] = inner
            }
            set(&json, parts[...])
        }
        let error = try #require(Self.loadError(dir))
        #expect(error.kind == .unsupported)
        #expect(error.description.contains(expected) && error.description.contains("not supported"), "\(error)")
    }

    @Test("a shard listed in the index but absent is named")
    func missingShard() throws {
        let dir = try Self.copy("llava_dinov2_llama")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model-00002-of-00003.safetensors"))
        let error = try #require(Self.loadError(dir))
        #expect(error.description.contains("model-00002-of-00003.safetensors") && error.description.contains("missing"), "\(error)")
    }

    @Test("bad inputs are refused: token ids, image-token count, pixel shape")
    func badInputs() throws {
        let f = try EngineFixture("llava_clip_llama")
        #expect(throws: EngineError.self) { try f.model.forward(tokens: [1, 500], images: []) }
        #expect(throws: EngineError.self) { try f.model.forward(tokens: Array(f.prompt.dropLast(7)) + [3], images: [f.pixels]) }
        let small = try PixelValues(height: 16, width: 16, values: Array(repeating: 0, count: 3 * 16 * 16))
        #expect(throws: EngineError.self) { try f.model.forward(tokens: f.prompt, images: [small]) }
        #expect(throws: EngineError.self) { try PixelValues(height: 4, width: 4, values: [1, 2]) }
    }
}
