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
        try forward(x, segments: [DecoderSegment(rows: rows, cache: cache, runtime: runtime, logitRows: logitRows)])[0]
    }

    /// Runs several sequences' new positions through every layer at once: `x` holds the segments'
    /// rows one after the other. Norms, projections and the MLP are matrix products over all rows
    /// (the weights are read once for every sequence, which is what makes batched decoding pay);
    /// RoPE, the cache, attention and the plan hooks work per segment, on its own cache and plan.
    /// Returns each segment's logits, `[logitRows, vocab]`.
    func forward(_ x: UnsafeMutablePointer<Float>, segments: [DecoderSegment]) throws -> [[Float]] {
        let c = config, d = c.hiddenSize, hd = c.resolvedHeadDim
        let hq = c.numAttentionHeads * hd, hkv = c.kvHeads * hd
        let rows = segments.reduce(0) { $0 + $1.rows }
        var offsets: [Int] = [], starts: [Int] = [], next = 0
        for s in segments {
            let start = s.cache.count, total = start + s.rows
            if let window = c.slidingWindow, c.modelType == "qwen2", c.useSlidingWindow ?? false, total > window {
                throw EngineError(.unsupported, "sequence of \(total) tokens exceeds Qwen2's sliding window \(window); Qwen2 sliding-window layers are not implemented")
            }
            s.cache.reserve(total)
            s.runtime?.beginChunk(.language, start: start, count: s.rows, keyCount: total)
            offsets.append(next)
            starts.append(start)
            next += s.rows
        }

        let inner = c.intermediateSize, width = hq + 2 * hkv
        let h = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1) * d)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1) * width)
        let z = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1) * hq)
        let gu = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1) * 2 * inner)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1) * inner)
        defer { [h, qkv, z, gu, m].forEach { $0.deallocate() } }

        let rotations = zip(segments, starts).map { s, start in
            s.cache.mropePositions.map { rope.table(start: start, rows: s.rows, positions: $0, sections: mropeSections) }
                ?? rope.table(start: start, rows: s.rows)
        }
        for (l, layer) in layers.enumerated() {
            layer.inputNorm(x, rows: rows, into: h)
            layer.qkv(h, rows: rows, into: qkv)
            for (i, s) in segments.enumerated() where s.rows > 0 {
                let start = starts[i], q = qkv + offsets[i] * width, zs = z + offsets[i] * hq
                let plan = s.runtime?.layer(.language, l)
                // Queries stay in the fused buffer (rotated in place, read with its row stride);
                // keys and values move to the cache, the keys rotated there.
                let kRows = s.cache.keys(l) + start * hkv, vRows = s.cache.values(l) + start * hkv
                let rows3 = UncheckedSendable(value: (q, kRows, vRows))
                forEachRowRange(s.rows, costPerRow: 2 * hkv) { range in
                    let (q, kRows, vRows) = rows3.value
                    for r in range {
                        let row = q + r * width
                        (kRows + r * hkv).update(from: row + hq, count: hkv)
                        (vRows + r * hkv).update(from: row + hq + hkv, count: hkv)
                    }
                }
                rope.apply(q, rows: s.rows, heads: c.numAttentionHeads, table: rotations[i], rowStride: width)
                rope.apply(kRows, rows: s.rows, heads: c.kvHeads, table: rotations[i])
                if let plan, let runtime = s.runtime, !plan.kvCaptures.isEmpty {
                    runtime.recordKV(.language, plan, keys: kRows, values: vRows, rows: s.rows)
                }
                kernel.run(queries: q, keys: s.cache.keys(l), values: s.cache.values(l), rows: s.rows, keyCount: start + s.rows,
                           queryStart: start, z: zs, plan: plan, runtime: s.runtime, tower: .language, queryStride: width)
                if let plan, let runtime = s.runtime {
                    applyEdits(plan, z: zs, rows: s.rows, start: start, queryHeads: c.numAttentionHeads, headDim: hd,
                               promptLength: runtime.promptLength, tower: .language)
                    if !plan.zCaptures.isEmpty { runtime.recordZ(.language, plan, z: zs, rows: s.rows) }
                }
            }
            layer.o(z, rows: rows, into: x, accumulate: true)
            layer.postAttentionNorm(x, rows: rows, into: h)
            layer.gateUp(h, rows: rows, into: gu)
            activation.gated(gu, rows: rows, width: inner, into: m)
            layer.down(m, rows: rows, into: x, accumulate: true)
        }
        for (s, start) in zip(segments, starts) { s.cache.setCount(start + s.rows) }

        // The LM head runs once over the wanted rows of every segment, gathered (normed) into h.
        let wanted = segments.map { min($0.logitRows, $0.rows) }
        let n = wanted.reduce(0, +)
        guard n > 0 else { return segments.map { _ in [] } }
        var k = 0
        for (i, s) in segments.enumerated() where wanted[i] > 0 {
            norm(x + (offsets[i] + s.rows - wanted[i]) * d, rows: wanted[i], into: h + k * d)
            k += wanted[i]
        }
        var logits = [Float](repeating: 0, count: n * c.vocabSize)
        logits.withUnsafeMutableBufferPointer { lmHead(h, rows: n, into: $0.baseAddress!) }
        if segments.count == 1 { return [logits] }
        var out: [[Float]] = [], row = 0
        for w in wanted {
            out.append(Array(logits[(row * c.vocabSize)..<((row + w) * c.vocabSize)]))
            row += w
        }
        return out
    }
}

/// One sequence's share of a batched decoder pass (`LanguageDecoder.forward(_:segments:)`): `rows`
/// new positions appended to `cache` under `runtime`'s plan, logits for the last `logitRows`.
struct DecoderSegment {
    let rows: Int
    let cache: KVCache
    let runtime: PlanRuntime?
    let logitRows: Int
}
