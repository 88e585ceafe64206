import Foundation
import HeadScopeEngine
import HeadScopeRuntime
import Testing
import TestSupport

/// The decoder geometry the stages record (`DecoderGeometry`, one `z` slice per query head) for
/// Qwen2.5-VL-3B-Instruct and Qwen2.5-VL-7B-Instruct, from config.json files written here with the
/// published values (the checkpoints' own layout: decoder fields at the root, `rope_scaling` of
/// type "mrope"). These are the models the CogVision paper used: 3B has 36 layers x 16 heads,
/// 7B 28 layers x 28 heads, head_dim 128 for both.
@Suite("Qwen2.5-VL published geometry through the runtime")
struct QwenPublishedGeometryTests {
    struct Published {
        var hidden, intermediate, layers, heads, kvHeads, vocab: Int
        var tie: Bool
    }

    static let threeB = Published(hidden: 2048, intermediate: 11008, layers: 36, heads: 16, kvHeads: 2, vocab: 151936, tie: true)
    static let sevenB = Published(hidden: 3584, intermediate: 18944, layers: 28, heads: 28, kvHeads: 4, vocab: 152064, tie: false)

    static func configuration(_ p: Published) throws -> ModelConfiguration {
        let json = """
        {"architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
         "bos_token_id": 151643, "eos_token_id": 151645, "image_token_id": 151655, "video_token_id": 151656,
         "vision_start_token_id": 151652, "vision_end_token_id": 151653,
         "hidden_act": "silu", "hidden_size": \(p.hidden), "intermediate_size": \(p.intermediate),
         "num_hidden_layers": \(p.layers), "num_attention_heads": \(p.heads), "num_key_value_heads": \(p.kvHeads),
         "max_position_embeddings": 128000, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
         "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
         "tie_word_embeddings": \(p.tie), "torch_dtype": "bfloat16", "vocab_size": \(p.vocab),
         "vision_config": {"depth": 32, "hidden_act": "silu", "hidden_size": 1280, "intermediate_size": 3420,
           "num_heads": 16, "in_chans": 3, "out_hidden_size": \(p.hidden), "patch_size": 14, "spatial_merge_size": 2,
           "temporal_patch_size": 2, "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31], "tokens_per_second": 2}}
        """
        let url = try TestSupport.scratchDirectory("qwen-published").appendingPathComponent("config.json")
        try Data(json.utf8).write(to: url)
        return try ModelConfiguration.load(from: url)
    }

    @Test("Qwen2.5-VL-3B-Instruct: 36 layers x 16 heads of 128; vision 32 blocks x 16 heads of 80")
    func threeBGeometry() throws {
        let c = try Self.configuration(Self.threeB)
        #expect(DecoderGeometry(c) == DecoderGeometry(layers: 36, heads: 16, headDim: 128))
        #expect(c.decoderAttentionGeometry.keyValueHeads == 2)
        let v = try #require(try c.qwenVisionGeometry())
        #expect(v.layers == 32 && v.heads == 16 && v.headDim == 80 && v.outWidth == 2048)
        #expect(v.windowSize == 112 && v.fullAttentionLayers == [7, 15, 23, 31] && v.mergeSize == 2)
    }

    @Test("Qwen2.5-VL-7B-Instruct: 28 layers x 28 heads of 128; vision merger to 3584")
    func sevenBGeometry() throws {
        let c = try Self.configuration(Self.sevenB)
        #expect(DecoderGeometry(c) == DecoderGeometry(layers: 28, heads: 28, headDim: 128))
        #expect(c.decoderAttentionGeometry.keyValueHeads == 4)
        let v = try #require(try c.qwenVisionGeometry())
        #expect(v.layers == 32 && v.heads == 16 && v.headDim == 80 && v.outWidth == 3584)
    }

    @Test("the runtime reports the geometry its configuration gives (tiny Qwen2.5-VL folder)")
    func runtimeAgrees() throws {
        let runtime = try EngineRuntime.load(folder: QwenFolderTests.fixture)
        #expect(runtime.geometry == DecoderGeometry(runtime.model.configuration))
        #expect(runtime.geometry == DecoderGeometry(layers: 2, heads: 4, headDim: 16))
    }
}
