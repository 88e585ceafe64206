import Foundation
import HeadScopeBLAS

/// Pixel values for one image: `[3, height, width]` fp32, already resized and normalised by the
/// model's image processor.
public struct PixelValues: Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var values: [Float]

    public init(channels: Int = 3, height: Int, width: Int, values: [Float]) throws {
        guard values.count == channels * height * width else {
            throw EngineError(.input, "pixel values hold \(values.count) floats, expected \(channels) x \(height) x \(width) = \(channels * height * width)")
        }
        self.channels = channels; self.height = height; self.width = width; self.values = values
    }
}

/// One pre-norm ViT encoder layer as CLIP, SigLIP and DINOv2 share it: LayerNorm, full multi-head
/// attention, optional layer scale, LayerNorm, fc1-activation-fc2 MLP, optional layer scale.
struct VisionEncoderLayer {
    let norm1, norm2: LayerNorm
    /// q, k and v stacked (`[q | k | v]` outputs), one GEMM.
    let qkv: Linear
    let o: Linear
    let fc1, fc2: Linear
    let scale1, scale2: Tensor?
}

/// How a family names its encoder tensors (prefix relative to `vision_tower.`).
struct VisionLayerNames {
    var layerPrefix: String        // e.g. "encoder.layers" (CLIP/SigLIP) or "encoder.layer" (DINOv2)
    var norm1: String, norm2: String
    var attention: String          // "self_attn" or "attention"
    var output: String             // "out_proj" or "o_proj"
    var layerScale: Bool
}

/// The shared vision transformer: family-specific embeddings feed a stack of `VisionEncoderLayer`.
final class VisionTransformer: @unchecked Sendable {
    let config: VisionConfiguration
    let layers: [VisionEncoderLayer]
    let activation: Activation
    let kernel: AttentionKernel
    let embed: (PixelValues) throws -> (Tensor, Int)   // hidden states [tokens, d] and token count

    init(_ store: any WeightProvider, _ c: VisionConfiguration, names: VisionLayerNames, qkvBias: Bool,
         embed: @escaping (PixelValues) throws -> (Tensor, Int)) throws {
        config = c
        self.embed = embed
        let d = c.hiddenSize, eps = Float(c.layerNormEps ?? 1e-6)
        let inner = c.intermediateSize ?? Int(Double(d) * (c.mlpRatio ?? 4))
        if c.useSwigluFfn ?? false {
            throw EngineError(.unsupported, "DINOv2 with use_swiglu_ffn is not supported")
        }
        layers = try (0..<c.numHiddenLayers).map { i in
            let p = "vision_tower.\(names.layerPrefix).\(i)"
            let a = "\(p).\(names.attention)"
            return VisionEncoderLayer(
                norm1: try LayerNorm(store, "\(p).\(names.norm1)", dim: d, eps: eps),
                norm2: try LayerNorm(store, "\(p).\(names.norm2)", dim: d, eps: eps),
                qkv: Linear.concatenating([try Linear(store, "\(a).q_proj", in: d, out: d, bias: qkvBias),
                                           try Linear(store, "\(a).k_proj", in: d, out: d, bias: qkvBias),
                                           try Linear(store, "\(a).v_proj", in: d, out: d, bias: qkvBias)]),
                o: try Linear(store, "\(a).\(names.output)", in: d, out: d, bias: true),
                fc1: try Linear(store, "\(p).mlp.fc1", in: d, out: inner, bias: true),
                fc2: try Linear(store, "\(p).mlp.fc2", in: inner, out: d, bias: true),
                scale1: names.layerScale ? try store.load("\(p).layer_scale1.lambda1", shape: [d]) : nil,
                scale2: names.layerScale ? try store.load("\(p).layer_scale2.lambda1", shape: [d]) : nil)
        }
        activation = try Activation(named: c.hiddenAct ?? "gelu", location: store.configLocation)
        kernel = AttentionKernel(queryHeads: c.numAttentionHeads, kvHeads: c.numAttentionHeads, headDim: c.headDim, causal: false)
    }

    /// Hidden states `[tokens, d]` for the requested indices (0: encoder input, i: after layer i),
    /// running only as many layers as the largest index (or the plan) needs.
    func hiddenStates(_ pixels: PixelValues, indices: [Int], runtime: PlanRuntime?) throws -> [Int: Tensor] {
        let (x, tokens) = try embed(pixels)
        let c = config, d = c.hiddenSize
        let inner = layers.first?.fc1.outFeatures ?? d
        var result: [Int: Tensor] = [:]
        if indices.contains(0) { result[0] = Tensor(shape: [tokens, d], values: x.values) }
        let planDepth = (0..<layers.count).last { runtime?.layer(.vision, $0) != nil }.map { $0 + 1 } ?? 0
        let depth = max(indices.max() ?? 0, planDepth)
        runtime?.beginChunk(.vision, start: 0, count: tokens, keyCount: tokens)

        let h = UnsafeMutablePointer<Float>.allocate(capacity: tokens * d)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: tokens * 3 * d)
        let z = UnsafeMutablePointer<Float>.allocate(capacity: tokens * d)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: tokens * inner)
        defer { [h, qkv, z, m].forEach { $0.deallocate() } }
        let xs = x.pointer

        for (l, layer) in layers.prefix(depth).enumerated() {
            let plan = runtime?.layer(.vision, l)
            layer.norm1(xs, rows: tokens, into: h)
            layer.qkv(h, rows: tokens, into: qkv)
            if let plan, let runtime, !plan.kvCaptures.isEmpty {
                runtime.recordKV(.vision, plan, keys: qkv + d, values: qkv + 2 * d, rows: tokens, stride: 3 * d)
            }
            kernel.run(queries: qkv, keys: qkv + d, values: qkv + 2 * d, rows: tokens, keyCount: tokens, queryStart: 0,
                       z: z, plan: plan, runtime: runtime, tower: .vision, queryStride: 3 * d, keyValueStride: 3 * d)
            if let plan, let runtime {
                applyEdits(plan, z: z, rows: tokens, start: 0, queryHeads: c.numAttentionHeads, headDim: c.headDim,
                           promptLength: 0, tower: .vision)
                if !plan.zCaptures.isEmpty { runtime.recordZ(.vision, plan, z: z, rows: tokens) }
            }
            residual(layer.o, layer.scale1, input: z, rows: tokens, into: xs, scratch: h)
            layer.norm2(xs, rows: tokens, into: h)
            layer.fc1(h, rows: tokens, into: m)
            activation.apply(rows: m, rows: tokens, width: inner)
            residual(layer.fc2, layer.scale2, input: m, rows: tokens, into: xs, scratch: h)
            if indices.contains(l + 1) { result[l + 1] = Tensor(shape: [tokens, d], values: Array(UnsafeBufferPointer(start: xs, count: tokens * d))) }
        }
        return result
    }

    /// `x += scale * linear(input)` (scale: DINOv2's layer scale, else 1).
    private func residual(_ linear: Linear, _ scale: Tensor?, input: UnsafePointer<Float>, rows: Int,
                          into x: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        guard let scale else { linear(input, rows: rows, into: x, accumulate: true); return }
        linear(input, rows: rows, into: scratch)
        let d = linear.outFeatures
        let pointers = UncheckedSendable(value: (x, UnsafePointer(scratch), scale.pointer))
        forEachRowRange(rows, costPerRow: 2 * d) { range in
            let (x, scratch, s) = pointers.value
            for r in range { for j in 0..<d { x[r * d + j] += scratch[r * d + j] * s[j] } }
        }
    }
}

/// Patch embedding as one GEMM: unfold `[C, H, W]` into `[patches, C * p * p]` rows (the
/// convolution weight's `[D, C, p, p]` order) and multiply by the weight. Patches run row by row;
/// pixels beyond the last whole patch are ignored, as a stride-p convolution does.
func patchEmbed(_ pixels: PixelValues, projection: Linear, patch p: Int) throws -> (Tensor, Int, Int) {
    let gh = pixels.height / p, gw = pixels.width / p, c = pixels.channels
    let kdim = c * p * p
    guard kdim == projection.inFeatures, gh > 0, gw > 0 else {
        throw EngineError(.input, "pixel values [\(c), \(pixels.height), \(pixels.width)] do not fit a patch embedding of \(projection.inFeatures / (p * p)) channels and patch size \(p)")
    }
    var columns = [Float](repeating: 0, count: gh * gw * kdim)
    for gy in 0..<gh { for gx in 0..<gw {
        let row = (gy * gw + gx) * kdim
        for ch in 0..<c { for ky in 0..<p { for kx in 0..<p {
            columns[row + (ch * p + ky) * p + kx] = pixels.values[(ch * pixels.height + gy * p + ky) * pixels.width + gx * p + kx]
        } } }
    } }
    let out = Tensor(shape: [gh * gw, projection.outFeatures])
    columns.withUnsafeBufferPointer { projection($0.baseAddress!, rows: gh * gw, into: out.pointer) }
    return (out, gh, gw)
}

/// Loads a `[D, C, p, p]` convolution as a `[D, C * p * p]` linear layer.
func patchProjection(_ store: any WeightProvider, _ prefix: String, _ c: VisionConfiguration, bias: Bool) throws -> Linear {
    let channels = c.numChannels ?? 3, p = c.patchSize, d = c.hiddenSize
    let conv = try store.load("\(prefix).weight", shape: [d, channels, p, p])
    return Linear(weight: Tensor(shape: [d, channels * p * p], values: conv.values),
                  bias: bias ? try store.load("\(prefix).bias", shape: [d]) : nil)
}

/// Position embeddings for a `gh x gw` patch grid from a trained square grid (`[n, d]` rows),
/// resized with PyTorch-exact bicubic interpolation when the grids differ (as transformers'
/// `interpolate_pos_encoding` does: skipped only when the patch count matches and the image is square).
func gridPositionEmbeddings(_ table: UnsafePointer<Float>, trained n: Int, dim d: Int, gridHeight gh: Int,
                            gridWidth gw: Int, square: Bool) -> [Float] {
    if gh * gw == n && square { return Array(UnsafeBufferPointer(start: table, count: n * d)) }
    let side = Int(Double(n).squareRoot())
    var planes = [Float](repeating: 0, count: d * n)     // [d, side, side]
    for i in 0..<n { for j in 0..<d { planes[j * n + i] = table[i * d + j] } }
    let resized = bicubicResize(planes, channels: d, height: side, width: side, toHeight: gh, toWidth: gw)
    var rows = [Float](repeating: 0, count: gh * gw * d)
    for i in 0..<(gh * gw) { for j in 0..<d { rows[i * d + j] = resized[j * gh * gw + i] } }
    return rows
}
