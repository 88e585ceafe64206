import Foundation

/// RMSNorm as Llama computes it: `w * x / sqrt(mean(x^2) + eps)`, statistics in fp32.
struct RMSNorm {
    let weight: Tensor
    let eps: Float

    /// Normalises `rows` rows of `weight.count` values from `x` into `y` (may alias `x`); rows are
    /// independent, so a prefill splits them across cores.
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let d = weight.count, eps = eps
        let pointers = UncheckedSendable(value: (x, y, weight.pointer))
        forEachRowRange(rows, costPerRow: 4 * d) { range in
            let (x, y, w) = pointers.value
            for r in range {
                let xr = x + r * d, yr = y + r * d
                let inv = 1 / (sumOfSquares(xr, d) / Float(d) + eps).squareRoot()
                for i in 0..<d { yr[i] = w[i] * (xr[i] * inv) }
            }
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

    /// Normalises `rows` rows from `x` into `y` (may alias `x`), split across cores when large.
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let d = weight.count, eps = eps
        let pointers = UncheckedSendable(value: (x, y, weight.pointer, bias.pointer))
        forEachRowRange(rows, costPerRow: 5 * d) { range in
            let (x, y, w, b) = pointers.value
            for r in range {
                let xr = x + r * d, yr = y + r * d
                let mean = sum(xr, d) / Float(d)
                let inv = 1 / (centeredSumOfSquares(xr, d, mean) / Float(d) + eps).squareRoot()
                for i in 0..<d { yr[i] = (xr[i] - mean) * inv * w[i] + b[i] }
            }
        }
    }
}

// Reductions in eight independent lanes: a single running sum is one long dependency chain the
// compiler may not reorder (fp addition is not associative), which leaves the vector units idle.

@inline(__always)
func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        lanes += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var total = lanes.sum()
    while i < n { total += x[i]; i += 1 }
    return total
}

@inline(__always)
func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        lanes += v * v
        i += 8
    }
    var total = lanes.sum()
    while i < n { total += x[i] * x[i]; i += 1 }
    return total
}

@inline(__always)
func centeredSumOfSquares(_ x: UnsafePointer<Float>, _ n: Int, _ mean: Float) -> Float {
    var lanes = SIMD8<Float>(repeating: 0)
    let m = SIMD8<Float>(repeating: mean)
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - m
        lanes += v * v
        i += 8
    }
    var total = lanes.sum()
    while i < n { let c = x[i] - mean; total += c * c; i += 1 }
    return total
}
