import HeadScopeEngine

/// Attention-knockout plans: cut the edges between two token groups in a window of layers,
/// inside chosen heads (or all heads).
public enum AttentionKnockout {
    /// Windows of `width` consecutive layers starting every `stride` layers (the last window is
    /// clipped to the model's depth).
    public static func windows(layers: Int, width: Int, stride: Int) -> [Range<Int>] {
        guard layers > 0 else { return [] }
        let w = max(1, min(width, layers)), s = max(1, stride)
        return Swift.stride(from: 0, through: layers - w, by: s).map { $0..<($0 + w) }
    }

    /// The plan blocking `edge` in `window`; within `heads` only when given (heads of other layers
    /// are ignored). Nil when there is nothing to block (an empty group, or no chosen head in the
    /// window).
    public static func plan(edge: KnockoutEdge, groups: TokenGroups, window: Range<Int>,
                            heads: [HeadID]?) -> InterpretabilityPlan? {
        let queries = groups.positions(edge.to), keys = groups.positions(edge.from)
        guard !queries.isEmpty, !keys.isEmpty else { return nil }
        let q = PositionSelector.list(queries), k = PositionSelector.list(keys)
        guard let heads else {
            return InterpretabilityPlan(blocks: [AttentionBlock(tower: .language, layers: Array(window), heads: nil,
                                                                queryPositions: q, keyPositions: k)])
        }
        var blocks: [AttentionBlock] = []
        for layer in window {
            let chosen = heads.filter { $0.layer == layer }.map(\.head).sorted()
            if !chosen.isEmpty {
                blocks.append(AttentionBlock(tower: .language, layers: [layer], heads: chosen, queryPositions: q, keyPositions: k))
            }
        }
        return blocks.isEmpty ? nil : InterpretabilityPlan(blocks: blocks)
    }
}
