import HeadScopeCore

/// Draws random keep-masks over all decoder heads: each head keeps image access with probability
/// `keepProbability`, independently, from a SplitMix64 stream seeded per image.
public struct KeepMaskSampler: Sendable {
    public var keepProbability: Double
    public var seed: UInt64

    public init(keepProbability: Double, seed: UInt64) {
        self.keepProbability = keepProbability
        self.seed = seed
    }

    /// `count` masks of `heads` entries (1 = keep), row-major `[count, heads]`. The stream depends
    /// only on the seed and `stream` (the image id), so masks do not change with processing order.
    public func masks(count: Int, heads: Int, stream: String) -> [UInt8] {
        var rng = SplitMix64(seed: SplitMix64.streamSeed(seed, stream))
        var out = [UInt8](repeating: 0, count: max(0, count * heads))
        for i in out.indices { out[i] = rng.nextUnit() < keepProbability ? 1 : 0 }
        return out
    }
}
