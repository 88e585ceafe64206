import Foundation

// Element-wise exponentials in eight lanes for the softmax and the sigmoid-based activations,
// which otherwise make one libm call per element (millions per prefill).

/// `exp(x)` for eight lanes, within about 2 ulp of `expf` (Cephes' range reduction and
/// polynomial); exactly 0 below -87.3 (so `-inf` scores, blocked keys, stay 0) and `+inf` above 88.7.
@inline(__always)
func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let high = SIMD8<Float>(repeating: 88.72283), low = SIMD8<Float>(repeating: -87.33654)
    let v = x.clamped(lowerBound: low, upperBound: high)
    let n = (v * 1.442695041).rounded(.toNearestOrEven)
    var r = v - n * 0.693359375
    r = r - n * -2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    // 2^n by building the exponent bits (n is within [-126, 128] after the clamp).
    let bits = (SIMD8<Int32>(n, rounding: .towardZero) &+ 127) &<< 23
    var result = y * unsafeBitCast(bits, to: SIMD8<Float>.self)
    result.replace(with: 0, where: x .< low)
    result.replace(with: .infinity, where: x .> high)
    return result
}

/// Replaces `x[0..<n]` by `exp(x - shift)` and returns their sum (the softmax numerator and denominator).
@inline(__always)
func expShifted(_ x: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    var lanes = SIMD8<Float>(repeating: 0)
    let s = SIMD8<Float>(repeating: shift)
    var i = 0
    while i + 8 <= n {
        let e = exp8(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - s)
        UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: SIMD8<Float>.self)
        lanes += e
        i += 8
    }
    var total = lanes.sum()
    while i < n { let e = expf(x[i] - shift); x[i] = e; total += e; i += 1 }
    return total
}

/// `x[i] = x[i] / (1 + exp(-k x[i]))` (SiLU for k = 1, quick GELU for k = 1.702).
@inline(__always)
func sigmoidGate(_ x: UnsafeMutablePointer<Float>, _ n: Int, k: Float) {
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        let g = v / (1 + exp8(v * -k))
        UnsafeMutableRawPointer(x + i).storeBytes(of: g, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { let v = x[i]; x[i] = v / (1 + expf(-k * v)); i += 1 }
}

/// The largest of `x[0..<n]` (`-inf` when empty).
@inline(__always)
func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= n {
        lanes = pointwiseMax(lanes, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
        i += 8
    }
    var best = lanes.max()
    while i < n { best = max(best, x[i]); i += 1 }
    return best
}
