import HeadScopeBLAS

/// A dense layer `y = x W^T + b` with `W` stored `[out, in]` as in PyTorch.
///
/// All rows of `x` go through one sgemm; a single row takes the sgemv path, which streams the
/// weight once and is what decoding one token at a time is bound by.
struct Linear {
    let weight: Tensor
    let bias: Tensor?
    let inFeatures: Int
    let outFeatures: Int

    init(_ store: any WeightProvider, _ prefix: String, in inFeatures: Int, out outFeatures: Int, bias: Bool) throws {
        weight = try store.load("\(prefix).weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try store.load("\(prefix).bias", shape: [outFeatures]) : nil
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
    }

    /// Stacks layers sharing an input into one (outputs side by side), so one GEMM computes them
    /// all: q/k/v, and gate/up, become single wide products that run closer to the sgemm peak.
    static func concatenating(_ parts: [Linear]) -> Linear {
        let inFeatures = parts[0].inFeatures, out = parts.reduce(0) { $0 + $1.outFeatures }
        let weight = Tensor(shape: [out, inFeatures])
        var offset = 0
        for p in parts {
            (weight.pointer + offset * inFeatures).update(from: p.weight.pointer, count: p.outFeatures * inFeatures)
            offset += p.outFeatures
        }
        var bias: Tensor? = nil
        if parts.contains(where: { $0.bias != nil }) {
            let b = Tensor(shape: [out])
            offset = 0
            for p in parts {
                if let pb = p.bias { (b.pointer + offset).update(from: pb.pointer, count: p.outFeatures) }
                offset += p.outFeatures
            }
            bias = b
        }
        return Linear(weight: weight, bias: bias)
    }

    /// `y[rows, out] = x[rows, in] W^T + b`, or `y += x W^T + b` when `accumulate` (residual adds).
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                        accumulate: Bool = false) {
        // The bias goes in first (copied, or added to the residual) and the product accumulates
        // onto it: one pass over y instead of a second read-modify-write after the GEMM.
        var beta: Float = accumulate ? 1 : 0
        if let bias {
            let out = outFeatures
            let pointers = UncheckedSendable(value: (y, bias.pointer))
            forEachRowRange(rows, costPerRow: out) { range in
                let (y, b) = pointers.value
                for r in range {
                    let row = y + r * out
                    if accumulate { for j in 0..<out { row[j] += b[j] } } else { row.update(from: b, count: out) }
                }
            }
            beta = 1
        }
        if rows == 1 {
            BLAS.sgemv(.none, rows: outFeatures, cols: inFeatures, a: weight.pointer, x: x, beta: beta, y: y)
        } else {
            BLAS.sgemm(.none, .transposed, m: rows, n: outFeatures, k: inFeatures,
                       a: x, b: weight.pointer, beta: beta, c: y)
        }
    }
}
