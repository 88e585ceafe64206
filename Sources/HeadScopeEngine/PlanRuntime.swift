/// Head geometry of one tower, for validating and applying plans.
struct TowerGeometry {
    var layers: Int
    var queryHeads: Int
    var kvHeads: Int
    var headDim: Int
}

/// What a plan does inside one attention layer, resolved for fast lookup.
struct LayerPlan {
    struct Replacement { var position: Int; var key: ArraySlice<Float>; var value: ArraySlice<Float> }
    struct Block { var heads: Set<Int>?; var queries: PositionSelector; var keys: PositionSelector }
    struct Capture { var request: Int; var layerSlot: Int; var heads: [Int] }

    var edits: [(head: Int, positions: PositionSelector, operation: ZOperation)] = []
    var replacements: [Int: [Replacement]] = [:]
    var blocks: [Block] = []
    var zCaptures: [Capture] = []
    var attentionCaptures: [Capture] = []
    var kvCaptures: [Capture] = []

    var changesScores: Bool { !replacements.isEmpty || !blocks.isEmpty }
}

/// A plan validated against a model and turned into per-layer lookups, plus the capture buffers a
/// run fills. One per run; not shared between threads.
final class PlanRuntime {
    let plan: InterpretabilityPlan
    let promptLength: Int
    private var layerPlans: [Tower: [LayerPlan?]] = [:]
    private let geometry: [Tower: TowerGeometry]

    // Capture accumulation: per request, the positions seen so far and their values.
    private struct Accumulator {
        var request: CaptureRequest
        var layers: [Int]
        var heads: [Int]
        var positions: [Int] = []
        var values: [Float] = []
        var values2: [Float] = []          // values for kv captures
        var chunkOffset = 0                 // index in `values` where the current chunk starts
        var chunkRows: [Int] = []           // for the current chunk: local row -> index in chunk
        var keyCounts: [Int] = []           // attention: key count of each row
    }
    private var zAcc: [Accumulator] = []
    private var attentionAcc: [Accumulator] = []
    private var kvAcc: [Accumulator] = []

    init(_ plan: InterpretabilityPlan, geometry: [Tower: TowerGeometry], promptLength: Int) throws {
        self.plan = plan
        self.promptLength = promptLength
        self.geometry = geometry
        for (tower, g) in geometry { layerPlans[tower] = Array(repeating: nil, count: g.layers) }

        func geometryOf(_ tower: Tower, _ what: String) throws -> TowerGeometry {
            guard let g = geometry[tower] else { throw EngineError(.plan, "\(what) addresses the \(tower.rawValue) tower, which this model does not have") }
            return g
        }
        func check(_ tower: Tower, layer: Int, head: Int?, _ what: String) throws -> TowerGeometry {
            let g = try geometryOf(tower, what)
            guard layer >= 0 && layer < g.layers else { throw EngineError(.plan, "\(what): layer \(layer) is out of range (the \(tower.rawValue) tower has \(g.layers) layers)") }
            if let head, !(head >= 0 && head < g.queryHeads) {
                throw EngineError(.plan, "\(what): head \(head) is out of range (the \(tower.rawValue) tower has \(g.queryHeads) query heads)")
            }
            return g
        }
        func update(_ tower: Tower, _ layer: Int, _ body: (inout LayerPlan) -> Void) {
            var lp = layerPlans[tower]![layer] ?? LayerPlan()
            body(&lp)
            layerPlans[tower]![layer] = lp
        }

        for (i, e) in plan.edits.enumerated() {
            let g = try check(e.tower, layer: e.layer, head: e.head, "edit \(i)")
            switch e.operation {
            case .replace(let v), .add(let v):
                guard v.count == g.headDim else { throw EngineError(.plan, "edit \(i): vector has \(v.count) values, head_dim is \(g.headDim)") }
            default: break
            }
            update(e.tower, e.layer) { $0.edits.append((e.head, e.positions, e.operation)) }
        }
        for (i, r) in plan.kvReplacements.enumerated() {
            let g = try check(r.tower, layer: r.layer, head: r.head, "kv replacement \(i)")
            let d = g.headDim, n = r.positions.count
            for (name, array) in [("keys", r.keys), ("values", r.values)] where array.count != d && array.count != n * d {
                throw EngineError(.plan, "kv replacement \(i): \(name) has \(array.count) values; expected head_dim \(d) or positions x head_dim \(n * d)")
            }
            guard Set(r.positions).count == r.positions.count else {
                throw EngineError(.plan, "kv replacement \(i): positions repeat; give each key position once")
            }
            var list: [LayerPlan.Replacement] = []
            for (j, p) in r.positions.enumerated() {
                let k = r.keys.count == d ? r.keys[0..<d] : r.keys[(j * d)..<((j + 1) * d)]
                let v = r.values.count == d ? r.values[0..<d] : r.values[(j * d)..<((j + 1) * d)]
                list.append(.init(position: p, key: k, value: v))
            }
            update(r.tower, r.layer) { $0.replacements[r.head, default: []].append(contentsOf: list) }
        }
        for (i, b) in plan.blocks.enumerated() {
            let g = try geometryOf(b.tower, "block \(i)")
            for l in b.layers ?? Array(0..<g.layers) {
                _ = try check(b.tower, layer: l, head: nil, "block \(i)")
                for h in b.heads ?? [] { _ = try check(b.tower, layer: l, head: h, "block \(i)") }
                update(b.tower, l) { $0.blocks.append(.init(heads: b.heads.map(Set.init), queries: b.queryPositions, keys: b.keyPositions)) }
            }
        }
        func captures(_ requests: [CaptureRequest], _ what: String, _ add: (inout LayerPlan, LayerPlan.Capture) -> Void) throws -> [Accumulator] {
            var result: [Accumulator] = []
            for (i, r) in requests.enumerated() {
                let g = try geometryOf(r.tower, "\(what) \(i)")
                let layers = r.layers ?? Array(0..<g.layers), heads = r.heads ?? Array(0..<g.queryHeads)
                for (slot, l) in layers.enumerated() {
                    for h in heads { _ = try check(r.tower, layer: l, head: h, "\(what) \(i)") }
                    update(r.tower, l) { add(&$0, .init(request: i, layerSlot: slot, heads: heads)) }
                }
                result.append(Accumulator(request: r, layers: layers, heads: heads))
            }
            return result
        }
        zAcc = try captures(plan.zCaptures, "z capture") { $0.zCaptures.append($1) }
        attentionAcc = try captures(plan.attentionCaptures, "attention capture") { $0.attentionCaptures.append($1) }
        kvAcc = try captures(plan.kvCaptures, "kv capture") { $0.kvCaptures.append($1) }
    }

    /// The plan for `layer` of `tower`, nil when the plan does nothing there.
    func layer(_ tower: Tower, _ layer: Int) -> LayerPlan? { layerPlans[tower]?[layer] ?? nil }

    /// Opens a chunk of `count` new positions starting at `start`: captures reserve their rows.
    func beginChunk(_ tower: Tower, start: Int, count: Int, keyCount: Int) {
        guard let g = geometry[tower] else { return }
        func open(_ acc: inout [Accumulator], width: Int, pairs: Bool) {
            for i in acc.indices where acc[i].request.tower == tower {
                acc[i].chunkOffset = acc[i].values.count
                acc[i].chunkRows = Array(repeating: -1, count: count)
                var n = 0
                for r in 0..<count where acc[i].request.positions.contains(start + r, promptLength: promptLength, tower: tower) {
                    acc[i].chunkRows[r] = n; n += 1
                    acc[i].positions.append(start + r)
                    acc[i].keyCounts.append(keyCount)
                }
                let size = n * acc[i].layers.count * acc[i].heads.count * width
                acc[i].values.append(contentsOf: repeatElement(0, count: size))
                if pairs { acc[i].values2.append(contentsOf: repeatElement(0, count: size)) }
            }
        }
        open(&zAcc, width: g.headDim, pairs: false)
        open(&attentionAcc, width: keyCount, pairs: false)
        open(&kvAcc, width: g.headDim, pairs: true)
    }

    /// Copies head vectors from `source` (rows of `stride` floats, head `h` at `h * headDim`, or
    /// the KV head serving `h` when `kvGroup > 1`) into the open chunk of each capture.
    private func record(_ acc: inout Accumulator, _ capture: LayerPlan.Capture, width: Int,
                        rows: Int, read: (Int, Int, UnsafeMutablePointer<Float>) -> Void, second: Bool = false) {
        let nl = acc.layers.count, nh = acc.heads.count
        let base = acc.chunkOffset
        var buffer = [Float](repeating: 0, count: width)
        for r in 0..<rows {
            let local = acc.chunkRows[r]
            guard local >= 0 else { continue }
            for (hi, h) in capture.heads.enumerated() {
                buffer.withUnsafeMutableBufferPointer { read(r, h, $0.baseAddress!) }
                let start = base + ((local * nl + capture.layerSlot) * nh + hi) * width
                if second {
                    acc.values2.withUnsafeMutableBufferPointer { dst in for j in 0..<width { dst[start + j] = buffer[j] } }
                } else {
                    acc.values.withUnsafeMutableBufferPointer { dst in for j in 0..<width { dst[start + j] = buffer[j] } }
                }
            }
        }
    }

    func recordZ(_ tower: Tower, _ lp: LayerPlan, z: UnsafePointer<Float>, rows: Int) {
        guard let g = geometry[tower] else { return }
        let stride = g.queryHeads * g.headDim
        for c in lp.zCaptures {
            record(&zAcc[c.request], c, width: g.headDim, rows: rows) { r, h, out in
                for j in 0..<g.headDim { out[j] = z[r * stride + h * g.headDim + j] }
            }
        }
    }

    /// Attention rows from `scores` laid out `[heads][rows][keyCount]`.
    func recordAttention(_ tower: Tower, _ lp: LayerPlan, scores: UnsafePointer<Float>, rows: Int, keyCount: Int) {
        for c in lp.attentionCaptures {
            record(&attentionAcc[c.request], c, width: keyCount, rows: rows) { r, h, out in
                let row = scores + (h * rows + r) * keyCount
                for j in 0..<keyCount { out[j] = row[j] }
            }
        }
    }

    /// Keys and values of the new rows (row stride `kvHeads * headDim` unless given).
    func recordKV(_ tower: Tower, _ lp: LayerPlan, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, rows: Int,
                  stride rowStride: Int? = nil) {
        guard let g = geometry[tower] else { return }
        let stride = rowStride ?? g.kvHeads * g.headDim, group = g.queryHeads / g.kvHeads
        for c in lp.kvCaptures {
            record(&kvAcc[c.request], c, width: g.headDim, rows: rows) { r, h, out in
                for j in 0..<g.headDim { out[j] = keys[r * stride + (h / group) * g.headDim + j] }
            }
            record(&kvAcc[c.request], c, width: g.headDim, rows: rows, read: { r, h, out in
                for j in 0..<g.headDim { out[j] = values[r * stride + (h / group) * g.headDim + j] }
            }, second: true)
        }
    }

    /// The captures, with attention rows padded to the longest key range.
    func finish() -> Captures {
        var result = Captures()
        for a in zAcc {
            result.z.append(HeadActivations(tower: a.request.tower, layers: a.layers, heads: a.heads,
                                            headDim: geometry[a.request.tower]!.headDim, positions: a.positions, values: a.values))
        }
        for a in kvAcc {
            let d = geometry[a.request.tower]!.headDim
            result.keys.append(HeadActivations(tower: a.request.tower, layers: a.layers, heads: a.heads, headDim: d, positions: a.positions, values: a.values))
            result.values.append(HeadActivations(tower: a.request.tower, layers: a.layers, heads: a.heads, headDim: d, positions: a.positions, values: a.values2))
        }
        for a in attentionAcc {
            let width = a.keyCounts.max() ?? 0
            let block = a.layers.count * a.heads.count
            var padded = [Float](repeating: 0, count: a.positions.count * block * width)
            var offset = 0
            for (q, n) in a.keyCounts.enumerated() {
                for b in 0..<block {
                    for j in 0..<n { padded[(q * block + b) * width + j] = a.values[offset + b * n + j] }
                }
                offset += block * n
            }
            result.attention.append(AttentionProbabilities(tower: a.request.tower, layers: a.layers, heads: a.heads,
                                                           queryPositions: a.positions, keyCount: width, values: padded))
        }
        return result
    }
}
