import Foundation

// The vision transformer of Qwen2-VL and Qwen2.5-VL: Conv3d patch embedding (a still image is two
// identical frames), 2-D rotary embeddings, pre-norm blocks, and a patch merger that concatenates
// each 2 x 2 block of patches and projects it to the decoder width. Qwen2.5-VL runs most blocks
// with attention inside windows (of `window_size` pixels) and a few with full attention; it
// reorders the patches so that windows are contiguous, and puts the merged tokens back in image
// order at the end, as transformers does. The tower's sequence (vision positions in plans) is that
// internal order: merge blocks row by row for Qwen2-VL, window by window for Qwen2.5-VL. Window
// layers run each window through the attention kernel on its own; when a plan captures their
// attention or changes their scores they run as one masked full-sequence attention instead.

/// LayerNorm (Qwen2-VL) or RMSNorm (Qwen2.5-VL).
enum QwenNorm {
    case layer(LayerNorm)
    case rms(RMSNorm)

    init(_ store: any WeightProvider, _ prefix: String, dim: Int, family: QwenVLFamily) throws {
        switch family {
        case .qwen2VL: self = .layer(try LayerNorm(store, prefix, dim: dim, eps: 1e-6))
        case .qwen25VL: self = .rms(RMSNorm(weight: try store.load("\(prefix).weight", shape: [dim]), eps: 1e-6))
        }
    }

    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        switch self {
        case .layer(let n): n(x, rows: rows, into: y)
        case .rms(let n): n(x, rows: rows, into: y)
        }
    }
}

/// One vision block: norm, attention (fused qkv, 2-D RoPE), norm, MLP (fc1/fc2, or SwiGLU with
/// `[gate | up]` stacked).
struct QwenVisionBlock {
    let norm1, norm2: QwenNorm
    let qkv: Linear
    let proj: Linear
    let up: Linear       // fc1, or gate|up
    let down: Linear     // fc2, or down_proj
    let gated: Bool
}

/// The Qwen vision tower and merger; see the file comment.
final class QwenVisionTower: @unchecked Sendable {
    let geometry: QwenVisionGeometry
    let patchEmbed: Linear
    let blocks: [QwenVisionBlock]
    let mergerNorm: QwenNorm
    let merger1, merger2: Linear
    let activation: Activation
    let rotary: VisionRotary
    let kernel: AttentionKernel

    init(_ store: any WeightProvider, _ g: QwenVisionGeometry) throws {
        geometry = g
        let d = g.width, p = g.patchSize, c = g.channels, t = g.temporalPatchSize
        let conv = try store.load("visual.patch_embed.proj.weight", shape: [d, c, t, p, p])
        patchEmbed = Linear(weight: Tensor(shape: [d, c * t * p * p], values: conv.values), bias: nil)
        blocks = try (0..<g.layers).map { i in
            let b = "visual.blocks.\(i)"
            let gated = g.family == .qwen25VL
            return QwenVisionBlock(
                norm1: try QwenNorm(store, "\(b).norm1", dim: d, family: g.family),
                norm2: try QwenNorm(store, "\(b).norm2", dim: d, family: g.family),
                qkv: try Linear(store, "\(b).attn.qkv", in: d, out: 3 * d, bias: true),
                proj: try Linear(store, "\(b).attn.proj", in: d, out: d, bias: true),
                up: gated ? Linear.concatenating([try Linear(store, "\(b).mlp.gate_proj", in: d, out: g.mlpWidth, bias: true),
                                                  try Linear(store, "\(b).mlp.up_proj", in: d, out: g.mlpWidth, bias: true)])
                    : try Linear(store, "\(b).mlp.fc1", in: d, out: g.mlpWidth, bias: true),
                down: try Linear(store, gated ? "\(b).mlp.down_proj" : "\(b).mlp.fc2", in: g.mlpWidth, out: d, bias: true),
                gated: gated)
        }
        let merged = d * g.mergeSize * g.mergeSize
        mergerNorm = try QwenNorm(store, "visual.merger.ln_q", dim: d, family: g.family)
        merger1 = try Linear(store, "visual.merger.mlp.0", in: merged, out: merged, bias: true)
        merger2 = try Linear(store, "visual.merger.mlp.2", in: merged, out: g.outWidth, bias: true)
        activation = try Activation(named: g.hiddenAct, location: store.configLocation)
        rotary = VisionRotary(headDim: g.headDim, theta: g.ropeTheta)
        kernel = AttentionKernel(queryHeads: g.heads, kvHeads: g.heads, headDim: g.headDim, causal: false)
    }

    var towerGeometry: TowerGeometry {
        TowerGeometry(layers: geometry.layers, queryHeads: geometry.heads, kvHeads: geometry.heads, headDim: geometry.headDim)
    }

    /// The patch grid `(rows, columns)` of an image, checking it suits the tower.
    func grid(_ pixels: PixelValues) throws -> (rows: Int, columns: Int) {
        let unit = geometry.patchSize * geometry.mergeSize
        guard pixels.channels == geometry.channels, pixels.height >= unit, pixels.width >= unit,
              pixels.height % unit == 0, pixels.width % unit == 0 else {
            throw EngineError(.input, "pixel values [\(pixels.channels), \(pixels.height), \(pixels.width)] do not suit the Qwen vision tower: \(geometry.channels) channels, sides multiples of \(unit) (resize with the Qwen2-VL image processor)")
        }
        return (pixels.height / geometry.patchSize, pixels.width / geometry.patchSize)
    }

    /// The merged-token order of the tower's sequence: for Qwen2.5-VL, merged cells window by
    /// window (row-major inside each window) and the window lengths in patches; for Qwen2-VL,
    /// image order and one span.
    func windowOrder(rows gh: Int, columns gw: Int) -> (order: [Int], spans: [Int]) {
        let m = geometry.mergeSize, lh = gh / m, lw = gw / m
        guard let window = geometry.windowSize else { return (Array(0..<(lh * lw)), [gh * gw]) }
        let side = window / m / geometry.patchSize
        // As transformers: the grid is padded to whole windows plus one more whenever it is
        // already a multiple (pad = side - n % side); empty windows are dropped.
        let wh = (lh + side - lh % side) / side, ww = (lw + side - lw % side) / side
        var order: [Int] = [], spans: [Int] = []
        for wy in 0..<wh { for wx in 0..<ww {
            var n = 0
            for y in (wy * side)..<min(lh, (wy + 1) * side) { for x in (wx * side)..<min(lw, (wx + 1) * side) {
                order.append(y * lw + x); n += 1
            } }
            if n > 0 { spans.append(n * m * m) }
        } }
        return (order, spans)
    }

    /// Merged image features `[tokens, outWidth]` in image order (merge blocks row by row), and
    /// their count.
    func encode(_ pixels: PixelValues, runtime: PlanRuntime?) throws -> (features: [Float], rows: Int) {
        let g = geometry, (gh, gw) = try grid(pixels)
        let m = g.mergeSize, unit = m * m, p = g.patchSize, d = g.width, n = gh * gw
        let (order, spans) = windowOrder(rows: gh, columns: gw)
        // Window layers whose plan captures attention or changes scores run as one full-sequence
        // attention with every key outside the query's window blocked (-inf before the softmax,
        // so the same probabilities), which lets the shared kernel apply the plan at absolute
        // tower positions and capture `[n, n]` rows (zero outside the window).
        var windowBlocks: [LayerPlan.Block] = []
        var offset = 0
        for span in spans {
            let end = offset + span
            if offset > 0 { windowBlocks.append(.init(heads: nil, queries: .range(offset, end), keys: .range(0, offset))) }
            if end < n { windowBlocks.append(.init(heads: nil, queries: .range(offset, end), keys: .range(end, n))) }
            offset = end
        }

        // Patches in sequence order, flattened (channel, frame, y, x) like the Conv3d weight; a
        // still image repeats its one frame.
        let lw = gw / m, kdim = g.channels * g.temporalPatchSize * p * p
        var columns = [Float](repeating: 0, count: n * kdim)
        var positions: [(row: Int, column: Int)] = []
        positions.reserveCapacity(n)
        pixels.values.withUnsafeBufferPointer { px in
            for (k, cell) in order.enumerated() {
                let by = cell / lw, bx = cell % lw
                for i in 0..<unit {
                    let row = by * m + i / m, col = bx * m + i % m
                    positions.append((row, col))
                    let base = (k * unit + i) * kdim
                    for c in 0..<g.channels { for f in 0..<g.temporalPatchSize { for y in 0..<p {
                        let src = (c * pixels.height + row * p + y) * pixels.width + col * p
                        let dst = base + ((c * g.temporalPatchSize + f) * p + y) * p
                        for x in 0..<p { columns[dst + x] = px[src + x] }
                    } } }
                }
            }
        }
        let xs = UnsafeMutablePointer<Float>.allocate(capacity: n * d)
        let h = UnsafeMutablePointer<Float>.allocate(capacity: n * d)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: n * 3 * d)
        let z = UnsafeMutablePointer<Float>.allocate(capacity: n * d)
        let upWidth = blocks.first?.up.outFeatures ?? d
        let mlp = UnsafeMutablePointer<Float>.allocate(capacity: n * upWidth)
        let act = UnsafeMutablePointer<Float>.allocate(capacity: n * g.mlpWidth)
        defer { [xs, h, qkv, z, mlp, act].forEach { $0.deallocate() } }
        columns.withUnsafeBufferPointer { patchEmbed($0.baseAddress!, rows: n, into: xs) }
        let table = rotary.table(positions)
        runtime?.beginChunk(.vision, start: 0, count: n, keyCount: n)

        for (l, block) in blocks.enumerated() {
            let plan = runtime?.layer(.vision, l)
            block.norm1(xs, rows: n, into: h)
            block.qkv(h, rows: n, into: qkv)
            rotary.apply(qkv, rows: n, heads: g.heads, stride: 3 * d, table: table)
            rotary.apply(qkv + d, rows: n, heads: g.heads, stride: 3 * d, table: table)
            if let plan, let runtime, !plan.kvCaptures.isEmpty {
                runtime.recordKV(.vision, plan, keys: qkv + d, values: qkv + 2 * d, rows: n, stride: 3 * d)
            }
            if g.fullAttentionLayers.contains(l) {
                kernel.run(queries: qkv, keys: qkv + d, values: qkv + 2 * d, rows: n, keyCount: n, queryStart: 0,
                           z: z, plan: plan, runtime: runtime, tower: .vision, queryStride: 3 * d, keyValueStride: 3 * d)
            } else if var windowed = plan, !windowed.attentionCaptures.isEmpty || windowed.changesScores {
                windowed.blocks = windowBlocks + windowed.blocks
                kernel.run(queries: qkv, keys: qkv + d, values: qkv + 2 * d, rows: n, keyCount: n, queryStart: 0,
                           z: z, plan: windowed, runtime: runtime, tower: .vision, queryStride: 3 * d, keyValueStride: 3 * d)
            } else {
                var start = 0
                for span in spans {
                    let q = qkv + start * 3 * d
                    kernel.run(queries: q, keys: q + d, values: q + 2 * d, rows: span, keyCount: span, queryStart: 0,
                               z: z + start * d, plan: nil, runtime: nil, tower: .vision, queryStride: 3 * d, keyValueStride: 3 * d)
                    start += span
                }
            }
            if let plan, let runtime {
                applyEdits(plan, z: z, rows: n, start: 0, queryHeads: g.heads, headDim: g.headDim, promptLength: 0, tower: .vision)
                if !plan.zCaptures.isEmpty { runtime.recordZ(.vision, plan, z: z, rows: n) }
            }
            block.proj(z, rows: n, into: xs, accumulate: true)
            block.norm2(xs, rows: n, into: h)
            block.up(h, rows: n, into: mlp)
            if block.gated {
                activation.gated(mlp, rows: n, width: g.mlpWidth, into: act)
                block.down(act, rows: n, into: xs, accumulate: true)
            } else {
                activation.apply(rows: mlp, rows: n, width: g.mlpWidth)
                block.down(mlp, rows: n, into: xs, accumulate: true)
            }
        }

        // Merger: norm, each merge block's `unit` rows side by side, GELU MLP.
        let tokens = n / unit, merged = d * unit
        mergerNorm(xs, rows: n, into: h)
        var hidden = [Float](repeating: 0, count: tokens * merged)
        var out = [Float](repeating: 0, count: tokens * g.outWidth)
        merger1(h, rows: tokens, into: &hidden)
        hidden.withUnsafeMutableBufferPointer { Activation.gelu.apply($0.baseAddress!, count: tokens * merged) }
        hidden.withUnsafeBufferPointer { merger2($0.baseAddress!, rows: tokens, into: &out) }
        guard order != Array(0..<tokens) else { return (out, tokens) }
        var restored = [Float](repeating: 0, count: out.count)
        for (k, cell) in order.enumerated() {
            for j in 0..<g.outWidth { restored[cell * g.outWidth + j] = out[k * g.outWidth + j] }
        }
        return (restored, tokens)
    }
}
