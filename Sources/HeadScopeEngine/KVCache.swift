/// Keys (post-RoPE) and values of every decoder layer for the positions processed so far.
///
/// Each layer holds `[capacity, kvHeads * headDim]` rows, so appending a chunk is one copy and the
/// attention kernel reads a KV head as a strided matrix. `truncate(to:)` drops positions from the
/// end, which is how a session returns to its shared prefix.
public final class KVCache: @unchecked Sendable {
    let layers: Int
    let rowWidth: Int
    private(set) var capacity: Int
    private var keys: [UnsafeMutablePointer<Float>]
    private var values: [UnsafeMutablePointer<Float>]
    /// The number of positions held.
    public private(set) var count = 0
    /// Multimodal RoPE ids of the sequence (Qwen2-VL), nil for plain RoPE.
    var mropePositions: MRoPEPositions?

    init(layers: Int, rowWidth: Int, capacity: Int = 256) {
        self.layers = layers
        self.rowWidth = rowWidth
        self.capacity = max(capacity, 1)
        keys = (0..<layers).map { _ in .allocate(capacity: max(capacity, 1) * rowWidth) }
        values = (0..<layers).map { _ in .allocate(capacity: max(capacity, 1) * rowWidth) }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Makes room for `total` positions, keeping the first `count`.
    func reserve(_ total: Int) {
        guard total > capacity else { return }
        let newCapacity = max(total, capacity * 2)
        for l in 0..<layers {
            let k = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * rowWidth)
            let v = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * rowWidth)
            k.update(from: keys[l], count: count * rowWidth)
            v.update(from: values[l], count: count * rowWidth)
            keys[l].deallocate(); values[l].deallocate()
            keys[l] = k; values[l] = v
        }
        capacity = newCapacity
    }

    /// Where row `position` of layer `layer` lives (after `reserve`).
    func keys(_ layer: Int) -> UnsafeMutablePointer<Float> { keys[layer] }
    func values(_ layer: Int) -> UnsafeMutablePointer<Float> { values[layer] }

    /// Marks `newCount` positions as held (after every layer has written its rows).
    func setCount(_ newCount: Int) { count = newCount }

    /// A cache holding a copy of this one's positions, with room for `capacity` (it grows on demand):
    /// sequences that share a prefix each continue their own copy.
    func copy(capacity: Int) -> KVCache {
        let copy = KVCache(layers: layers, rowWidth: rowWidth, capacity: max(capacity, count))
        for l in 0..<layers {
            copy.keys[l].update(from: keys[l], count: count * rowWidth)
            copy.values[l].update(from: values[l], count: count * rowWidth)
        }
        copy.count = count
        copy.mropePositions = mropePositions
        return copy
    }

    /// Forgets every position from `length` on.
    public func truncate(to length: Int) { count = min(count, max(0, length)) }
}
