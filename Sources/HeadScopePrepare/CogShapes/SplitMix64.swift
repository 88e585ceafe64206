/// SplitMix64: a small, fast, well-mixed 64-bit generator with a fixed definition.
///
/// CogShapes must give the same scenes on every platform and Swift version, so it never touches
/// the system generator; SplitMix64's output sequence for a seed is defined by three constants.
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
}
