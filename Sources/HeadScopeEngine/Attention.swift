import Foundation
import HeadScopeBLAS

/// Wraps values (pointers, classes) for use inside `concurrentPerform`, whose iterations touch
/// disjoint memory by construction.
struct UncheckedSendable<Value>: @unchecked Sendable { let value: Value }

/// Scaled dot-product attention for one layer, grouped-query aware, with plan hooks.
///
/// Queries are `[rows, queryHeads * headDim]`; keys and values are `[keyCount, kvHeads * headDim]`
/// (the KV cache rows, or the vision tower's projections), read in place: K/V are never repeated
/// per query head and no mask tensor exists; causality is a per-row visible length. Each query
/// head's scores `[rows, keyCount]` come from one sgemm and go back through one sgemm into `z`.
/// Heads run in parallel (OpenBLAS set to one thread meanwhile) when the work is large enough.
/// Score buffers exist per worker, not per head, unless the plan captures this layer's attention.
struct AttentionKernel {
    let queryHeads: Int
    let kvHeads: Int
    let headDim: Int
    let causal: Bool
    /// Mistral's sliding window: query `i` sees keys `j` with `i - window < j <= i` (nil: no window).
    var window: Int? = nil
    var scale: Float { 1 / Float(headDim).squareRoot() }

    /// Fills `z` (`[rows, queryHeads * headDim]`) and records captured probabilities.
    /// `queryStart` is the absolute position of query row 0; key `j` is at position `j`.
    func run(queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
             rows: Int, keyCount: Int, queryStart: Int, z: UnsafeMutablePointer<Float>,
             plan: LayerPlan?, runtime: PlanRuntime?, tower: Tower,
             queryStride: Int? = nil, keyValueStride: Int? = nil) {
        let flops = 4 * queryHeads * rows * keyCount * headDim
        let parallel = flops >= ParallelTuning.attentionWork && queryHeads > 1
        let workers = parallel ? min(queryHeads, ProcessInfo.processInfo.activeProcessorCount) : 1
        let keepAll = !(plan?.attentionCaptures.isEmpty ?? true)
        let slots = keepAll ? queryHeads : workers
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: slots * rows * keyCount)
        defer { scores.deallocate() }
        // Row strides: queries and keys/values may sit inside a fused q|k|v buffer; z is dense.
        let qStride = queryStride ?? queryHeads * headDim, zStride = queryHeads * headDim
        let kvStride = keyValueStride ?? kvHeads * headDim
        let group = queryHeads / kvHeads
        let scale = self.scale, headDim = self.headDim, causal = self.causal, window = self.window
        let promptLength = runtime?.promptLength ?? 0
        let rowBlock = ParallelTuning.attentionRowBlock

        let work = UncheckedSendable(value: (queries, keys, values, z, scores, plan))
        let perHead: @Sendable (Int, Int) -> Void = { h, slot in
            let (queries, keys, values, z, scores, plan) = work.value
            let g = h / group
            let q = queries + h * headDim, k = keys + g * headDim, v = values + g * headDim
            let s = scores + (keepAll ? h : slot) * rows * keyCount
            let replacements = plan?.replacements[h] ?? []
            let blocks = (plan?.blocks ?? []).filter { $0.heads?.contains(h) ?? true }
            let keyMasks: [[Bool]] = blocks.map { b in
                (0..<keyCount).map { b.keys.contains($0, promptLength: promptLength, tower: tower) }
            }
            // Causal rows go in blocks, each against only the keys its last row can see, so a
            // prefill does about half the score and P V work of a full square.
            let blockRows = causal ? max(1, rowBlock) : max(rows, 1)
            for r0 in stride(from: 0, to: rows, by: blockRows) {
                let r1 = min(rows, r0 + blockRows), m = r1 - r0
                let limit = causal ? min(keyCount, queryStart + r1) : keyCount
                BLAS.sgemm(.none, .transposed, m: m, n: limit, k: headDim, alpha: scale,
                           a: q + r0 * qStride, lda: qStride, b: k, ldb: kvStride, beta: 0,
                           c: s + r0 * keyCount, ldc: keyCount)
                for r in replacements where r.position < limit {
                    r.key.withUnsafeBufferPointer { kb in
                        for i in r0..<r1 {
                            var dot: Float = 0
                            for d in 0..<headDim { dot += q[i * qStride + d] * kb[d] }
                            s[i * keyCount + r.position] = dot * scale
                        }
                    }
                }
                for i in r0..<r1 {
                    let position = queryStart + i
                    let visible = causal ? min(keyCount, position + 1) : keyCount
                    let first = window.map { max(0, position - $0 + 1) } ?? 0
                    let row = s + i * keyCount
                    if !blocks.isEmpty {
                        var blocked = [Bool](repeating: false, count: visible)
                        var any = false
                        for (b, block) in blocks.enumerated() where block.queries.contains(position, promptLength: promptLength, tower: tower) {
                            for j in first..<visible where keyMasks[b][j] { blocked[j] = true; any = true }
                        }
                        if any {
                            // A row with every visible key blocked keeps its diagonal.
                            if !blocked[first..<visible].contains(false), position < visible { blocked[position] = false }
                            for j in first..<visible where blocked[j] { row[j] = -.infinity }
                        }
                    }
                    let shift = maximum(row + first, visible - first)
                    let inv = 1 / expShifted(row + first, visible - first, shift: shift)
                    for j in first..<visible { row[j] *= inv }
                    for j in 0..<first { row[j] = 0 }
                    for j in visible..<keyCount { row[j] = 0 }
                }
                BLAS.sgemm(.none, .none, m: m, n: headDim, k: limit, a: s + r0 * keyCount, lda: keyCount,
                           b: v, ldb: kvStride, beta: 0, c: z + r0 * zStride + h * headDim, ldc: zStride)
                for r in replacements where r.position < limit {
                    r.value.withUnsafeBufferPointer { vb in
                        let real = v + r.position * kvStride
                        for i in r0..<r1 {
                            let p = s[i * keyCount + r.position]
                            if p == 0 { continue }
                            let out = z + i * zStride + h * headDim
                            for d in 0..<headDim { out[d] += p * (vb[d] - real[d]) }
                        }
                    }
                }
            }
        }

        if parallel {
            let threads = BLAS.threadCount
            BLAS.threadCount = 1
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for h in stride(from: w, to: queryHeads, by: workers) { perHead(h, w) }
            }
            BLAS.threadCount = threads
        } else {
            for h in 0..<queryHeads { perHead(h, 0) }
        }

        if keepAll, let plan, let runtime {
            runtime.recordAttention(tower, plan, scores: scores, rows: rows, keyCount: keyCount)
        }
    }
}

/// Applies the plan's `z` edits for the rows `[start, start + rows)` of one layer, in plan order.
func applyEdits(_ plan: LayerPlan, z: UnsafeMutablePointer<Float>, rows: Int, start: Int,
                queryHeads: Int, headDim: Int, promptLength: Int, tower: Tower) {
    let stride = queryHeads * headDim
    for edit in plan.edits {
        for r in 0..<rows where edit.positions.contains(start + r, promptLength: promptLength, tower: tower) {
            let slice = z + r * stride + edit.head * headDim
            switch edit.operation {
            case .scale(let s): for d in 0..<headDim { slice[d] *= s }
            case .zero: for d in 0..<headDim { slice[d] = 0 }
            case .replace(let v): for d in 0..<headDim { slice[d] = v[d] }
            case .add(let v): for d in 0..<headDim { slice[d] += v[d] }
            }
        }
    }
}
