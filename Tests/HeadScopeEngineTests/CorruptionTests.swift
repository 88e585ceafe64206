import Foundation
import HeadScopeEngine
import Testing
import TestSupport

/// Damaged files must give errors, never traps: truncations at many lengths and seeded random
/// byte corruption of the headers of a safetensors checkpoint and a GGUF file.
@Suite("Corrupted checkpoint files")
struct CorruptionTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Loads every variant; each must load or throw an `EngineError`.
    static func survive(_ original: Data, headerBytes: Int, write: (Data) throws -> URL) throws {
        var random = Generator(state: 42)
        var variants: [Data] = stride(from: 0, to: original.count, by: max(1, original.count / 40)).map { original.prefix($0) }
        for _ in 0..<60 {
            var copy = original
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                copy[Int.random(in: 0..<min(headerBytes, copy.count), using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            variants.append(copy)
        }
        for data in variants {
            do { _ = try VisionLanguageModel.load(from: try write(data)) } catch is EngineError {}
        }
    }

    @Test("safetensors: truncated and header-corrupted variants never crash")
    func safetensors() throws {
        let source = EngineFixture.directory.appendingPathComponent("llava_clip_llama")
        let directory = try TestSupport.scratchDirectory("corrupt-st")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: directory.appendingPathComponent("config.json"))
        let original = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        let headerLength = Int(original.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        try Self.survive(original, headerBytes: 8 + headerLength) { data in
            let url = directory.appendingPathComponent("model.safetensors")
            try data.write(to: url)
            return directory
        }
    }

    @Test("GGUF: truncated and header-corrupted variants never crash")
    func gguf() throws {
        let original = try Data(contentsOf: EngineFixture.directory.appendingPathComponent("gguf_llama/tiny-llama.gguf"))
        let directory = try TestSupport.scratchDirectory("corrupt-gguf")
        try Self.survive(original, headerBytes: 2000) { data in
            let url = directory.appendingPathComponent("model.gguf")
            try data.write(to: url)
            return url
        }
    }
}
