import Foundation

/// Multimodal RoPE position ids (Qwen2-VL): three ids per token (temporal, height, width).
///
/// Text tokens carry the same id on all three axes, counting on from the previous token; the
/// tokens of an image carry `(start, start + row, start + column)` over its merged grid, and the
/// text after it continues from `start + max(rows, columns)`. Positions past the stored ones (the
/// rest of a continuation, generated tokens) are `p + delta` on every axis, `delta` being
/// `max id + 1 - count` of the stored prompt: transformers' `rope_deltas`.
public struct MRoPEPositions: Sendable, Equatable {
    public var temporal: [Int]
    public var height: [Int]
    public var width: [Int]
    public var delta: Int

    /// The ids of position `p`: stored, or `p + delta` beyond the stored prompt.
    public func ids(_ p: Int) -> (Int, Int, Int) {
        if p < temporal.count { return (temporal[p], height[p], width[p]) }
        return (p + delta, p + delta, p + delta)
    }

    /// Computes the ids of `tokens` whose runs of `imageToken` are the images, in order, with
    /// merged grids `grids` (rows, columns after the spatial merge); each image's tokens must be
    /// consecutive and as many as its grid cells.
    public init(tokens: [Int], imageToken: Int, grids: [(rows: Int, columns: Int)]) throws {
        var t: [Int] = [], h: [Int] = [], w: [Int] = []
        t.reserveCapacity(tokens.count); h.reserveCapacity(tokens.count); w.reserveCapacity(tokens.count)
        var next = 0, image = 0, p = 0
        while p < tokens.count {
            guard tokens[p] == imageToken else {
                t.append(next); h.append(next); w.append(next)
                next += 1; p += 1
                continue
            }
            guard image < grids.count else {
                throw EngineError(.input, "image token at position \(p) has no image left (\(grids.count) given)")
            }
            let (rows, columns) = grids[image]
            let n = rows * columns
            guard p + n <= tokens.count, tokens[p..<(p + n)].allSatisfy({ $0 == imageToken }) else {
                throw EngineError(.input, "image \(image) needs \(n) consecutive image tokens from position \(p) (a \(rows) x \(columns) merged grid)")
            }
            for r in 0..<rows { for c in 0..<columns {
                t.append(next); h.append(next + r); w.append(next + c)
            } }
            next += max(rows, columns)
            image += 1; p += n
        }
        guard image == grids.count else {
            throw EngineError(.input, "the prompt holds image tokens for \(image) image(s) but \(grids.count) were given")
        }
        temporal = t; height = h; width = w
        delta = next - tokens.count
    }
}

extension RotaryEmbedding {
    /// Cosines and sines for `rows` positions from `start` under M-RoPE: frequency `i` takes the
    /// temporal, height or width id by which of the three `sections` it falls in (as
    /// transformers' `mrope_section` split); same layout as `table(start:rows:)`.
    func table(start: Int, rows: Int, positions: MRoPEPositions, sections: [Int]) -> (cos: [Float], sin: [Float]) {
        let half = headDim / 2
        var axis = [Int](repeating: 2, count: half)
        var i = 0
        for (s, count) in sections.enumerated() { for _ in 0..<count where i < half { axis[i] = s; i += 1 } }
        var cosines = [Float](repeating: 0, count: rows * half), sines = cosines
        for r in 0..<rows {
            let (pt, ph, pw) = positions.ids(start + r)
            let ids = [Float(pt), Float(ph), Float(pw)]
            for i in 0..<half {
                let angle = ids[axis[i]] * inverseFrequencies[i]
                cosines[r * half + i] = cos(angle); sines[r * half + i] = sin(angle)
            }
        }
        return (cosines, sines)
    }
}

/// The vision tower's 2-D rotary embedding: for a head of `headDim`, `headDim / 4` frequencies
/// `theta^(-2j / (headDim / 2))` rotate by the patch row, the next `headDim / 4` by the column
/// (transformers' axial RoPE), in the rotate-half layout.
struct VisionRotary {
    let headDim: Int
    let inverseFrequencies: [Float]

    init(headDim: Int, theta: Double) {
        self.headDim = headDim
        let spatial = headDim / 2
        inverseFrequencies = stride(from: 0, to: spatial, by: 2).map { 1 / powf(Float(theta), Float($0) / Float(spatial)) }
    }

    /// `[rows, headDim / 2]` cosines and sines for patches at `(row, column)`.
    func table(_ positions: [(row: Int, column: Int)]) -> (cos: [Float], sin: [Float]) {
        let half = headDim / 2, quarter = inverseFrequencies.count
        var cosines = [Float](repeating: 0, count: positions.count * half), sines = cosines
        for (r, p) in positions.enumerated() {
            for j in 0..<quarter {
                let a = Float(p.row) * inverseFrequencies[j], b = Float(p.column) * inverseFrequencies[j]
                cosines[r * half + j] = cos(a); sines[r * half + j] = sin(a)
                cosines[r * half + quarter + j] = cos(b); sines[r * half + quarter + j] = sin(b)
            }
        }
        return (cosines, sines)
    }

    /// Rotates `heads` head slices of each row (row stride `stride`) in place.
    func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, stride: Int, table: (cos: [Float], sin: [Float])) {
        let half = headDim / 2
        for r in 0..<rows {
            for h in 0..<heads {
                let v = x + r * stride + h * headDim
                for i in 0..<half {
                    let c = table.cos[r * half + i], s = table.sin[r * half + i]
                    let a = v[i], b = v[i + half]
                    v[i] = a * c - b * s
                    v[i + half] = b * c + a * s
                }
            }
        }
    }
}
