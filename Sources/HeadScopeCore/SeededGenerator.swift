/// A deterministic random number generator (SplitMix64), so splits, negative samples, label
/// permutations, control head draws and bootstrap resamples are the same on every machine and
/// every run for a given seed.
///
/// Swift's `SystemRandomNumberGenerator` cannot be seeded, and the standard library's shuffling
/// algorithms are not promised to stay the same between releases, so the shuffle used here is
/// written out (Fisher–Yates from the last element down).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator for `seed`, optionally mixed with stream labels (for example a function index
    /// and a purpose), so that independent uses of one seed do not share a sequence.
    public init(seed: UInt64, streams: UInt64...) {
        var state = seed
        for stream in streams {
            state = SplitMix64.mix(state &+ 0x9E37_79B9_7F4A_7C15 &* (stream &+ 1))
        }
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// A uniform integer in `0..<bound` (Lemire's unbiased multiply-shift); 0 when `bound <= 0`.
    public mutating func below(_ bound: Int) -> Int {
        guard bound > 0 else { return 0 }
        let b = UInt64(bound)
        while true {
            let r = next().multipliedFullWidth(by: b)
            if r.low >= (0 &- b) % b { return Int(r.high) }
        }
    }

    /// Shuffles `values` in place, Fisher–Yates.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = below(i + 1)
            if i != j { values.swapAt(i, j) }
        }
    }

    /// `count` distinct elements of `values` in random order (all of them, shuffled, when
    /// `count >= values.count`).
    public mutating func sample<T>(_ values: [T], count: Int) -> [T] {
        var copy = values
        shuffle(&copy)
        return Array(copy.prefix(max(0, count)))
    }

    /// A stable 64-bit label for a string (FNV-1a), to pick a stream by name.
    public static func label(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
