import Foundation

/// SplitMix64: a small, fast, seedable generator whose streams are identical on every platform,
/// so keep-masks (and anything else drawn from it) are reproducible from the seed alone.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

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

    /// A stream seed derived from a base seed and a string (FNV-1a of its UTF-8, mixed), so each
    /// image gets its own stream whatever order images are processed in.
    public static func streamSeed(_ seed: UInt64, _ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        var mixer = SplitMix64(seed: seed ^ h)
        return mixer.next()
    }
}
