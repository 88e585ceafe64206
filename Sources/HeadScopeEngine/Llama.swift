import Foundation
import HeadScopeBLAS

// Language decoders of the Llama family: Llama, Mistral and Qwen2 differ only in configuration
// (Qwen2: q/k/v biases; Mistral: a sliding attention window on every layer), so one wiring of the
// shared blocks serves all.

// MARK: - Configuration

extension TextConfiguration {
    var geometry: TowerGeometry {
        TowerGeometry(layers: numHiddenLayers, queryHeads: numAttentionHeads, kvHeads: kvHeads, headDim: resolvedHeadDim)
    }
}

// MARK: - Language

/// One pre-norm decoder layer: RMSNorm, grouped-query attention with RoPE, RMSNorm, SwiGLU MLP.
struct DecoderLayer {
    let inputNorm: RMSNorm
    let postAttentionNorm: RMSNorm
    /// q, k and v projections stacked (outputs `[q | k | v]`), one GEMM per layer.
    let qkv: Linear
    let o: Linear
    /// gate and up projections stacked (outputs `[gate | up]`).
    let gateUp: Linear
    let down: Linear

    init(_ store: any WeightProvider, _ prefix: String, _ c: TextConfiguration) throws {
        let d = c.hiddenSize, hd = c.resolvedHeadDim, eps = Float(c.rmsNormEps ?? 1e-6)
        inputNorm = RMSNorm(weight: try store.load("\(prefix).input_layernorm.weight", shape: [d]), eps: eps)
        postAttentionNorm = RMSNorm(weight: try store.load("\(prefix).post_attention_layernorm.weight", shape: [d]), eps: eps)
        qkv = Linear.concatenating([
            try Linear(store, "\(prefix).self_attn.q_proj", in: d, out: c.numAttentionHeads * hd, bias: c.qkvBias),
            try Linear(store, "\(prefix).self_attn.k_proj", in: d, out: c.kvHeads * hd, bias: c.qkvBias),
            try Linear(store, "\(prefix).self_attn.v_proj", in: d, out: c.kvHeads * hd, bias: c.qkvBias)])
        o = try Linear(store, "\(prefix).self_attn.o_proj", in: c.numAttentionHeads * hd, out: d, bias: c.outputBias)
        let mlpBias = c.mlpBias ?? false
        gateUp = Linear.concatenating([
            try Linear(store, "\(prefix).mlp.gate_proj", in: d, out: c.intermediateSize, bias: mlpBias),
            try Linear(store, "\(prefix).mlp.up_proj", in: d, out: c.intermediateSize, bias: mlpBias)])
        down = try Linear(store, "\(prefix).mlp.down_proj", in: c.intermediateSize, out: d, bias: mlpBias)
    }
}

/// The language decoder: token embeddings, layers, final norm and LM head (tied or not).
final class LanguageDecoder: @unchecked Sendable {
    let config: TextConfiguration
    let embeddings: Tensor
    let layers: [DecoderLayer]
    let norm: RMSNorm
    let lmHead: Linear
    let rope: RotaryEmbedding
    let activation: Activation
    let kernel: AttentionKernel
    /// M-RoPE sections (Qwen2-VL decoders), used when a cache carries M-RoPE ids.
    var mropeSections: [Int] = []

    init(_ store: any WeightProvider, _ c: TextConfiguration, tieEmbeddings: Bool) throws {
        config = c
        let location = store.configLocation
        embeddings = try store.load("language_model.embed_tokens.weight", shape: [c.vocabSize, c.hiddenSize])
        layers = try (0..<c.numHiddenLayers).map { try DecoderLayer(store, "language_model.layers.\($0)", c) }
        norm = RMSNorm(weight: try store.load("language_model.norm.weight", shape: [c.hiddenSize]), eps: Float(c.rmsNormEps ?? 1e-6))
        lmHead = tieEmbeddings ? Linear(weight: embeddings, bias: nil)
            : try Linear(store, "lm_head", in: c.hiddenSize, out: c.vocabSize, bias: false)
        rope = try RotaryEmbedding(c, location: location)
        activation = try Activation(named: c.hiddenAct ?? "silu", location: location)
        kernel = AttentionKernel(queryHeads: c.numAttentionHeads, kvHeads: c.kvHeads, headDim: c.resolvedHeadDim, causal: true,
                                 window: c.modelType == "mistral" ? c.slidingWindow : nil)
    }

    func newCache(capacity: Int) -> KVCache {
        KVCache(layers: config.numHiddenLayers, rowWidth: config.kvHeads * config.resolvedHeadDim, capacity: capacity)
    }

    /// Writes the embeddings of `tokens` into `x` (rows of hidden size), checking the ids.
    func embed(_ tokens: ArraySlice<Int>, into x: UnsafeMutablePointer<Float>) throws {
        let d = config.hiddenSize
        for (r, id) in tokens.enumerated() {
            guard id >= 0 && id < config.vocabSize else {
                throw EngineError(.input, "token id \(id) at position \(tokens.startIndex + r) is outside the vocabulary (0..<\(config.vocabSize))")
            }
            (x + r * d).update(from: embeddings.pointer + id * d, count: d)
        }
    }

    /// Runs `rows` new positions (hidden states in `x`, starting at `cache.count`) through every
    /// layer, appending to `cache`; returns logits `[logitRows, vocab]` for the last `logitRows`.
    func forward(_ x: UnsafeMutablePointer<Float>, rows: Int, cache: KVCache, runtime: PlanRuntime?,
                 logitRows: Int) throws -> [Float] {
        let c = config, d = c.hiddenSize, hd = c.resolvedHeadDim
        let hq = c.numAttentionHeads * hd, hkv = c.kvHeads * hd
        let start = cache.count, total = start + rows
        if let window = c.slidingWindow, c.modelType == "qwen2", c.useSlidingWindow ?? false, total > window {
            throw EngineError(.unsupported, "sequence of \(total) tokens exceeds Qwen2's sliding window \(window); Qwen2 sliding-window layers are not implemented")
        }
        cache.reserve(total)
        runtime?.beginChunk(.language, start: start, count: rows, keyCount: total)

        let inner = c.intermediateSize, width = hq + 2 * hkv
        let h = UnsafeMutablePointer<Float>.allocate(capacity: rows * d)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: rows * width)
        let z = UnsafeMutablePointer<Float>.allocate(capacity: rows * hq)
        let gu = UnsafeMutablePointer<Float>.allocate(capacity: rows * 2 * inner)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: rows * inner)
        defer { [h, qkv, z, gu, m].forEach { $0.deallocate() } }

        let rotation = cache.mropePositions.map { rope.table(start: start, rows: rows, positions: $0, sections: mropeSections) }
            ?? rope.table(start: start, rows: rows)
        for (l, layer) in layers.enumerated() {
            let plan = runtime?.layer(.language, l)
            layer.inputNorm(x, rows: rows, into: h)
            layer.qkv(h, rows: rows, into: qkv)
            // Queries stay in the fused buffer (rotated in place, read with its row stride); keys
            // and values move to the cache, the keys rotated there.
            let kRows = cache.keys(l) + start * hkv, vRows = cache.values(l) + start * hkv
            let rows3 = UncheckedSendable(value: (qkv, kRows, vRows))
            forEachRowRange(rows, costPerRow: 2 * hkv) { range in
                let (qkv, kRows, vRows) = rows3.value
                for r in range {
                    let row = qkv + r * width
                    (kRows + r * hkv).update(from: row + hq, count: hkv)
                    (vRows + r * hkv).update(from: row + hq + hkv, count: hkv)
                }
            }
            rope.apply(qkv, rows: rows, heads: c.numAttentionHeads, table: rotation, rowStride: width)
            rope.apply(kRows, rows: rows, heads: c.kvHeads, table: rotation)
            if let plan, let runtime, !plan.kvCaptures.isEmpty {
                runtime.recordKV(.language, plan, keys: kRows, values: vRows, rows: rows)
            }
            kernel.run(queries: qkv, keys: cache.keys(l), values: cache.values(l), rows: rows, keyCount: total,
                       queryStart: start, z: z, plan: plan, runtime: runtime, tower: .language, queryStride: width)
            if let plan, let runtime {
                applyEdits(plan, z: z, rows: rows, start: start, queryHeads: c.numAttentionHeads, headDim: hd,
                           promptLength: runtime.promptLength, tower: .language)
                if !plan.zCaptures.isEmpty { runtime.recordZ(.language, plan, z: z, rows: rows) }
            }
            layer.o(z, rows: rows, into: x, accumulate: true)
            layer.postAttentionNorm(x, rows: rows, into: h)
            layer.gateUp(h, rows: rows, into: gu)
            activation.gated(gu, rows: rows, width: inner, into: m)
            layer.down(m, rows: rows, into: x, accumulate: true)
        }
        cache.setCount(total)

        let n = min(logitRows, rows)
        guard n > 0 else { return [] }
        let last = x + (rows - n) * d
        norm(last, rows: n, into: h)
        var logits = [Float](repeating: 0, count: n * c.vocabSize)
        logits.withUnsafeMutableBufferPointer { lmHead(h, rows: n, into: $0.baseAddress!) }
        return logits
    }
}
