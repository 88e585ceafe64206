import Foundation

/// SplitMix64: a small, fast, well-mixed 64-bit generator with a fixed definition.
///
/// Anything drawn from it (CogShapes scenes and questions, attribution keep-masks, benchmark
/// inputs) must be the same on every platform and Swift version for a given seed, so it never
/// touches the system generator, and every derived draw below is written out here: the output
/// sequence for a seed is defined by three constants. `SeededGenerator` is the same sequence with
/// stream labels and unbiased bounded draws, for the statistics stages.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The output function: a bijective scramble of one 64-bit word.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // MARK: Scene generation (CogShapes)

    /// A value in `0..<bound` by multiply-shift (no modulo bias worth caring about at these sizes,
    /// and, unlike the standard library's `random(in:using:)`, defined here so it cannot change).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A value in `range` (inclusive).
    public mutating func inRange(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// A uniformly chosen element.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// A Fisher-Yates shuffle driven by this generator.
    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        var out = items
        var i = out.count - 1
        while i > 0 {
            out.swapAt(i, below(i + 1))
            i -= 1
        }
        return out
    }

    /// An independent stream for `index` under `seed` (so scene k is the same whatever the count).
    public static func stream(seed: UInt64, index: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (index &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }

    // MARK: Continuous draws (keep-masks, synthetic inputs)

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Box-Muller; one of the pair is discarded for simplicity).
    public mutating func nextGaussian() -> Double {
        let u1 = Swift.max(nextUnit(), 1e-300)
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A uniform float in [0, 1) from the top 24 bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// A standard normal float (Box-Muller on two `nextFloat` draws).
    public mutating func nextNormal() -> Float {
        let u = Swift.max(nextFloat(), 1e-7), v = nextFloat()
        return (-2 * logf(u)).squareRoot() * cosf(2 * .pi * v)
    }

    /// A stream seed derived from a base seed and a string (FNV-1a of its UTF-8, mixed), so each
    /// image gets its own stream whatever order images are processed in.
    public static func streamSeed(_ seed: UInt64, _ name: String) -> UInt64 {
        var mixer = SplitMix64(seed: seed ^ SeededGenerator.label(name))
        return mixer.next()
    }
}
