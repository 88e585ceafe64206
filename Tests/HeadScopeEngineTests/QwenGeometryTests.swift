import Foundation
import HeadScopeEngine
import Testing
import TestSupport

/// The published configurations of Qwen2.5-VL-3B-Instruct and Qwen2.5-VL-7B-Instruct (their
/// `config.json` layout: decoder fields at the root, `rope_scaling` of type "mrope") give the
/// decoder and vision geometry the checkpoints have.
@Suite("Qwen2.5-VL geometry from published configs")
struct QwenGeometryTests {
    static func config(hidden: Int, intermediate: Int, layers: Int, heads: Int, kvHeads: Int, vocab: Int, tie: Bool) -> String {
        """
        {
          "architectures": ["Qwen2_5_VLForConditionalGeneration"],
          "bos_token_id": 151643, "eos_token_id": 151645,
          "vision_start_token_id": 151652, "vision_end_token_id": 151653, "vision_token_id": 151654,
          "image_token_id": 151655, "video_token_id": 151656,
          "hidden_act": "silu", "hidden_size": \(hidden), "intermediate_size": \(intermediate),
          "max_position_embeddings": 128000, "max_window_layers": 70, "model_type": "qwen2_5_vl",
          "num_attention_heads": \(heads), "num_hidden_layers": \(layers), "num_key_value_heads": \(kvHeads),
          "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768,
          "tie_word_embeddings": \(tie), "torch_dtype": "bfloat16", "use_cache": true, "use_sliding_window": false,
          "vision_config": {
            "depth": 32, "hidden_act": "silu", "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
            "in_chans": 3, "out_hidden_size": \(hidden), "patch_size": 14, "spatial_merge_size": 2,
            "spatial_patch_size": 14, "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31],
            "tokens_per_second": 2, "temporal_patch_size": 2
          },
          "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
          "vocab_size": \(vocab)
        }
        """
    }

    static func load(_ json: String) throws -> ModelConfiguration {
        let dir = try TestSupport.scratchDirectory("qwen-geometry")
        let url = dir.appendingPathComponent("config.json")
        try Data(json.utf8).write(to: url)
        return try ModelConfiguration.load(from: url)
    }

    func expectVision(_ c: ModelConfiguration, out: Int) throws {
        let v = try #require(try c.qwenVisionGeometry())
        #expect(v.family == .qwen25VL)
        #expect(v.layers == 32 && v.heads == 16 && v.headDim == 80 && v.width == 1280 && v.mlpWidth == 3420)
        #expect(v.outWidth == out && v.windowSize == 112 && v.fullAttentionLayers == [7, 15, 23, 31])
        #expect(v.patchSize == 14 && v.mergeSize == 2 && v.temporalPatchSize == 2 && v.channels == 3)
        #expect(c.mropeSection == [16, 24, 24])
        #expect(c.imageToken == 151655)
    }

    @Test("Qwen2.5-VL-3B-Instruct: 36 layers, 16 heads, 2 KV heads, head_dim 128")
    func threeB() throws {
        let c = try Self.load(Self.config(hidden: 2048, intermediate: 11008, layers: 36, heads: 16, kvHeads: 2, vocab: 151936, tie: true))
        #expect(c.decoderAttentionGeometry == DecoderAttentionGeometry(layers: 36, queryHeads: 16, keyValueHeads: 2, headDim: 128))
        #expect(c.textConfig.modelType == "qwen2" && c.tieWordEmbeddings == true)
        try expectVision(c, out: 2048)
    }

    @Test("Qwen2.5-VL-7B-Instruct: 28 layers, 28 heads, 4 KV heads, head_dim 128")
    func sevenB() throws {
        let c = try Self.load(Self.config(hidden: 3584, intermediate: 18944, layers: 28, heads: 28, kvHeads: 4, vocab: 152064, tie: false))
        #expect(c.decoderAttentionGeometry == DecoderAttentionGeometry(layers: 28, queryHeads: 28, keyValueHeads: 4, headDim: 128))
        #expect(c.tieWordEmbeddings == false)
        try expectVision(c, out: 3584)
    }

    @Test("inconsistent configs are refused with the key named")
    func refusals() throws {
        // M-RoPE sections that do not cover head_dim / 2.
        let badSections = Self.config(hidden: 2048, intermediate: 11008, layers: 36, heads: 16, kvHeads: 2, vocab: 151936, tie: true)
            .replacingOccurrences(of: "[16, 24, 24]", with: "[16, 24, 8]")
        #expect(throws: EngineError.self) { try Self.load(badSections) }
        // A merger width different from the decoder's.
        let badMerger = Self.config(hidden: 2048, intermediate: 11008, layers: 36, heads: 16, kvHeads: 2, vocab: 151936, tie: true)
            .replacingOccurrences(of: "\"out_hidden_size\": 2048", with: "\"out_hidden_size\": 3584")
        #expect(throws: EngineError.self) { try Self.load(badMerger) }
        // A full-attention index past the last layer.
        let badIndex = Self.config(hidden: 3584, intermediate: 18944, layers: 28, heads: 28, kvHeads: 4, vocab: 152064, tie: false)
            .replacingOccurrences(of: "[7, 15, 23, 31]", with: "[7, 15, 23, 32]")
        #expect(throws: EngineError.self) { try Self.load(badIndex) }
    }
}
