import HeadScopeCore
/// Percentile bootstrap over items: confidence intervals of a rate and of a paired difference.
///
/// The resampling unit is the item (main question), not the step: steps of one chain are not
/// independent, so whole items are drawn with replacement and their steps come along. A paired
/// difference (condition minus base on the same steps) uses the same draws for both sides.
/// Everything is seeded (SeededGenerator), so a table is the same on every run.
public struct Bootstrap: Sendable {
    /// One item's tally: successes and trials of the condition, and of the reference it is
    /// compared against (for differences).
    public struct Tally: Sendable, Equatable {
        public var successes: Int
        public var trials: Int
        public var referenceSuccesses: Int
        public init(successes: Int, trials: Int, referenceSuccesses: Int = 0) {
            self.successes = successes
            self.trials = trials
            self.referenceSuccesses = referenceSuccesses
        }
    }

    public var samples: Int
    public var seed: UInt64
    /// Coverage of the interval (0.95: the 2.5th and 97.5th percentiles).
    public var level: Double

    public init(samples: Int = 1000, seed: UInt64 = 42, level: Double = 0.95) {
        self.samples = samples
        self.seed = seed
        self.level = level
    }

    /// An interval; both ends equal the estimate when there is nothing to resample.
    public struct Interval: Sendable, Equatable, Codable {
        public var low: Double
        public var high: Double
        public init(low: Double, high: Double) {
            self.low = low
            self.high = high
        }
    }

    /// Intervals of the rate `sum(successes) / sum(trials)` and of the paired difference
    /// `(sum(successes) - sum(referenceSuccesses)) / sum(trials)`, for the stream `label`
    /// (a condition's name, so each condition's draws do not depend on the others).
    public func intervals(_ tallies: [Tally], label: String) -> (rate: Interval, difference: Interval)? {
        let trials = tallies.reduce(0) { $0 + $1.trials }
        guard trials > 0 else { return nil }
        var generator = SeededGenerator(seed: seed, streams: SeededGenerator.label(label))
        var rates: [Double] = [], differences: [Double] = []
        rates.reserveCapacity(samples); differences.reserveCapacity(samples)
        for _ in 0..<max(1, samples) {
            var s = 0, t = 0, r = 0
            for _ in 0..<tallies.count {
                let tally = tallies[generator.below(tallies.count)]
                s += tally.successes; t += tally.trials; r += tally.referenceSuccesses
            }
            // Items always carry steps here; a draw without any would have no rate, so skip it.
            guard t > 0 else { continue }
            rates.append(Double(s) / Double(t))
            differences.append(Double(s - r) / Double(t))
        }
        return (Bootstrap.percentiles(rates, level: level), Bootstrap.percentiles(differences, level: level))
    }

    /// The `(1 - level) / 2` and `(1 + level) / 2` quantiles, linear interpolation between order
    /// statistics (numpy's default `percentile` rule).
    public static func percentiles(_ values: [Double], level: Double) -> Interval {
        guard !values.isEmpty else { return Interval(low: .nan, high: .nan) }
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
            let fraction = position - Double(below)
            return sorted[below] + (sorted[above] - sorted[below]) * fraction
        }
        return Interval(low: quantile((1 - level) / 2), high: quantile((1 + level) / 2))
    }
}
