import Foundation

// Element-wise exponentials for the softmax and the sigmoid-based activations, which otherwise
// make one libm call per element (millions per prefill). Written as branch-free scalar code with
// wrapping integer operations only, so the loops below vectorise (generic SIMD conversions and
// rounding do not: they compile to per-lane calls).

/// `exp(x)` within about 2 ulp of `expf` (Cephes' range reduction and polynomial); exactly 0
/// below -87.3 (so `-inf` scores, blocked keys, stay 0) and `+inf` above 88.7.
@inline(__always)
func fastExp(_ x: Float) -> Float {
    let low: Float = -87.33654, high: Float = 88.72283
    let shifter: Float = 12582912   // 1.5 * 2^23: adding it rounds to an integer held in the low bits
    let clampedLow = x < low ? low : x
    let v = clampedLow > high ? high : clampedLow
    let t = v * 1.442695041 + shifter
    let n = t - shifter
    var r = v - n * 0.693359375
    r = r - n * -2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    let scale = Float(bitPattern: (t.bitPattern &- shifter.bitPattern &+ 127) &<< 23)
    return x < low ? 0 : y * scale
}

/// Replaces `x[0..<n]` by `exp(x - shift)` and returns their sum (the softmax numerator and denominator).
@inline(__always)
func expShifted(_ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    for i in 0..<n { x[i] = fastExp(x[i] - shift) }
    return sum(x, n)
}

/// `x[i] = x[i] / (1 + exp(-k x[i]))` (SiLU for k = 1, quick GELU for k = 1.702).
@inline(__always)
func sigmoidGate(_ x: UnsafeMutablePointer<Float>, _ n: Int, k: Float) {
    for i in 0..<n { let v = x[i]; x[i] = v / (1 + fastExp(-k * v)) }
}

/// The largest of `x[0..<n]` (`-inf` when empty).
@inline(__always)
func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        lanes.replace(with: v, where: v .> lanes)
        i += 8
    }
    var best = lanes.max()
    while i < n { if x[i] > best { best = x[i] }; i += 1 }
    return best
}
