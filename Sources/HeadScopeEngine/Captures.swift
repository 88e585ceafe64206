/// Per-head vectors captured by a run, dense: `values[p, l, h, :]` is the `headDim` vector of
/// `heads[h]` in `layers[l]` at `positions[p]` (row-major `[positions, layers, heads, headDim]`,
/// the shape the activation store writes).
public struct HeadActivations: Sendable {
    public var tower: Tower
    public var layers: [Int]
    public var heads: [Int]
    public var headDim: Int
    public var positions: [Int]
    public var values: [Float]

    /// The vector of (`position`, `layer`, `head`), nil when not captured.
    public func vector(position: Int, layer: Int, head: Int) -> ArraySlice<Float>? {
        guard let p = positions.firstIndex(of: position), let l = layers.firstIndex(of: layer),
              let h = heads.firstIndex(of: head) else { return nil }
        let start = ((p * layers.count + l) * heads.count + h) * headDim
        return values[start..<(start + headDim)]
    }
}

/// Attention probabilities captured by a run: `values[q, l, h, k]` is the weight query position
/// `queryPositions[q]` gives key position `k`, row-major `[queries, layers, heads, keyCount]`;
/// keys a query could not see (future keys under causal attention) are 0.
public struct AttentionProbabilities: Sendable {
    public var tower: Tower
    public var layers: [Int]
    public var heads: [Int]
    public var queryPositions: [Int]
    public var keyCount: Int
    public var values: [Float]

    /// The probability row of (`query`, `layer`, `head`), nil when not captured.
    public func row(query: Int, layer: Int, head: Int) -> ArraySlice<Float>? {
        guard let q = queryPositions.firstIndex(of: query), let l = layers.firstIndex(of: layer),
              let h = heads.firstIndex(of: head) else { return nil }
        let start = ((q * layers.count + l) * heads.count + h) * keyCount
        return values[start..<(start + keyCount)]
    }
}

/// Everything a plan asked to capture, one entry per request in plan order.
public struct Captures: Sendable {
    /// `z` per query head (`o_proj` input), from `plan.zCaptures`.
    public var z: [HeadActivations] = []
    /// Post-softmax attention, from `plan.attentionCaptures`.
    public var attention: [AttentionProbabilities] = []
    /// Post-RoPE keys per query head's view, from `plan.kvCaptures`.
    public var keys: [HeadActivations] = []
    /// Values per query head's view, from `plan.kvCaptures`.
    public var values: [HeadActivations] = []

    public init() {}
}
