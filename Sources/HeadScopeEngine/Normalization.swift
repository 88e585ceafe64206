import Foundation

/// RMSNorm as Llama computes it: `w * x / sqrt(mean(x^2) + eps)`, statistics in fp32.
struct RMSNorm {
    let weight: Tensor
    let eps: Float

    /// Normalises `rows` rows of `weight.count` values from `x` into `y` (may alias `x`).
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let d = weight.count, w = weight.pointer
        for r in 0..<rows {
            let xr = x + r * d, yr = y + r * d
            var sum: Float = 0
            for i in 0..<d { sum += xr[i] * xr[i] }
            let inv = 1 / (sum / Float(d) + eps).squareRoot()
            for i in 0..<d { yr[i] = w[i] * (xr[i] * inv) }
        }
    }
}

/// LayerNorm: `(x - mean) / sqrt(var + eps) * w + b` with the biased variance, as PyTorch.
struct LayerNorm {
    let weight: Tensor
    let bias: Tensor
    let eps: Float

    init(_ store: any WeightProvider, _ prefix: String, dim: Int, eps: Float) throws {
        weight = try store.load("\(prefix).weight", shape: [dim])
        bias = try store.load("\(prefix).bias", shape: [dim])
        self.eps = eps
    }

    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let d = weight.count, w = weight.pointer, b = bias.pointer
        for r in 0..<rows {
            let xr = x + r * d, yr = y + r * d
            var mean: Float = 0
            for i in 0..<d { mean += xr[i] }
            mean /= Float(d)
            var variance: Float = 0
            for i in 0..<d { let c = xr[i] - mean; variance += c * c }
            let inv = 1 / (variance / Float(d) + eps).squareRoot()
            for i in 0..<d { yr[i] = (xr[i] - mean) * inv * w[i] + b[i] }
        }
    }
}
