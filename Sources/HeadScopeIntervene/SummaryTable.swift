import Foundation

/// The per-function x condition table of the stage (`summary.json`, `summary.md`).
public struct SummaryTable: Sendable, Codable, Equatable {
    /// One row: a condition's effect on one function's subquestions.
    public struct Row: Sendable, Codable, Equatable {
        /// The function scored (for chains: the later, high-level function).
        public var function: String
        public var condition: String
        public var kind: InterventionCondition.Kind
        /// `agreement` (ablations: answers matching the un-ablated ones, on steps the model had
        /// right) or `accuracy` (against gold).
        public var metric: String
        /// Subquestions scored, and the items (main questions) they come from.
        public var n: Int
        public var items: Int
        public var value: Double
        public var ciLow: Double
        public var ciHigh: Double
        /// Accuracy against gold on the same subquestions.
        public var accuracy: Double
        /// The metric without the intervention on the same subquestions, and the difference.
        public var baseValue: Double
        public var delta: Double
        public var deltaCILow: Double
        public var deltaCIHigh: Double
        /// `harmful` (the delta's interval lies below 0), `helpful` (above 0) or `no effect`.
        public var verdict: String
        public var heads: Int
        public var seed: UInt64?
        public var alpha: Double?
        public var otherFunction: String?
        public var lowFunction: String?
        /// For the random control's aggregate row: the seeds and the spread of their values.
        public var seeds: [UInt64]?
        public var spread: Spread?

        enum CodingKeys: String, CodingKey {
            case function, condition, kind, metric, n, items, value, accuracy, delta, verdict, heads, seed, alpha, seeds, spread
            case ciLow = "ci_low", ciHigh = "ci_high", baseValue = "base_value"
            case deltaCILow = "delta_ci_low", deltaCIHigh = "delta_ci_high"
            case otherFunction = "other_function", lowFunction = "low_function"
        }
    }

    /// Mean, population standard deviation, minimum and maximum over the random seeds.
    public struct Spread: Sendable, Codable, Equatable {
        public var mean: Double
        public var std: Double
        public var min: Double
        public var max: Double
        public init(mean: Double, std: Double, min: Double, max: Double) {
            self.mean = mean; self.std = std; self.min = min; self.max = max
        }
    }

    public var rows: [Row]
    public var bootstrapSamples: Int
    public var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case rows, seed, bootstrapSamples = "bootstrap_samples"
    }

    static func verdict(low: Double, high: Double) -> String {
        if high < 0 { return "harmful" }
        if low > 0 { return "helpful" }
        return "no effect"
    }

    /// A row from per-item tallies (successes of the condition, trials, successes of the
    /// reference on the same steps).
    static func row(function: String, condition: InterventionCondition, metric: String,
                    tallies: [String: Bootstrap.Tally], accuracy: Double, bootstrap: Bootstrap,
                    label: String? = nil) -> Row? {
        let ordered = tallies.keys.sorted().compactMap { tallies[$0] }
        let trials = ordered.reduce(0) { $0 + $1.trials }
        guard trials > 0, let ci = bootstrap.intervals(ordered, label: label ?? "\(condition.name)|\(function)") else { return nil }
        let value = Double(ordered.reduce(0) { $0 + $1.successes }) / Double(trials)
        let base = Double(ordered.reduce(0) { $0 + $1.referenceSuccesses }) / Double(trials)
        return Row(function: function, condition: condition.name, kind: condition.kind, metric: metric, n: trials,
                   items: ordered.count, value: value, ciLow: ci.rate.low, ciHigh: ci.rate.high, accuracy: accuracy,
                   baseValue: base, delta: value - base, deltaCILow: ci.difference.low, deltaCIHigh: ci.difference.high,
                   verdict: condition.kind == .base || condition.kind == .chainBase ? "reference"
                       : verdict(low: ci.difference.low, high: ci.difference.high),
                   heads: condition.heads.count, seed: condition.seed, alpha: condition.alpha,
                   otherFunction: condition.otherFunction, lowFunction: condition.kind == .chainAblate ? condition.function : nil)
    }

    /// The aggregate of the random-control rows of one function.
    static func randomAggregate(_ rows: [Row]) -> Row? {
        guard let first = rows.first else { return nil }
        let values = rows.map(\.value)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        let deltas = rows.map(\.delta)
        var row = first
        row.condition = "ablate-random (\(rows.count) seeds)"
        row.value = mean
        row.ciLow = values.min() ?? mean
        row.ciHigh = values.max() ?? mean
        row.accuracy = rows.map(\.accuracy).reduce(0, +) / Double(rows.count)
        row.delta = deltas.reduce(0, +) / Double(deltas.count)
        row.deltaCILow = rows.map(\.deltaCILow).min() ?? row.delta
        row.deltaCIHigh = rows.map(\.deltaCIHigh).max() ?? row.delta
        row.verdict = rows.allSatisfy { $0.verdict == "harmful" } ? "harmful" : rows.allSatisfy { $0.verdict == "helpful" } ? "helpful" : "no effect"
        row.seed = nil
        row.seeds = rows.compactMap(\.seed)
        row.spread = Spread(mean: mean, std: std, min: values.min() ?? mean, max: values.max() ?? mean)
        return row
    }

    // MARK: Text

    static func format(_ x: Double) -> String {
        x.isFinite ? String(format: "%.3f", x) : "n/a"
    }

    static func signed(_ x: Double) -> String {
        x.isFinite ? String(format: "%+.3f", x) : "n/a"
    }

    /// A readable Markdown table, one section per function.
    public func markdown(title: String = "Interventions") -> String {
        var lines = ["# \(title)", "",
                     "95% intervals: percentile bootstrap over items (\(bootstrapSamples) resamples, seed \(seed)). "
                     + "Ablations report agreement with the un-ablated answer on subquestions the model had right; "
                     + "steering and chains report accuracy against gold. For `ablate-random (N seeds)` the interval "
                     + "columns show the range over seeds and `spread` the standard deviation.", ""]
        var functions: [String] = []
        for row in rows where !functions.contains(row.function) { functions.append(row.function) }
        for function in functions {
            lines += ["## \(function)", "",
                      "| condition | heads | n | metric | value | 95% CI | accuracy | delta | delta 95% CI | verdict |",
                      "|---|---:|---:|---|---:|---|---:|---:|---|---|"]
            for row in rows where row.function == function {
                let spread = row.spread.map { " (sd \(SummaryTable.format($0.std)))" } ?? ""
                lines.append("| \(row.condition) | \(row.heads) | \(row.n) | \(row.metric) | \(SummaryTable.format(row.value))\(spread) "
                             + "| [\(SummaryTable.format(row.ciLow)), \(SummaryTable.format(row.ciHigh))] | \(SummaryTable.format(row.accuracy)) "
                             + "| \(SummaryTable.signed(row.delta)) | [\(SummaryTable.signed(row.deltaCILow)), \(SummaryTable.signed(row.deltaCIHigh))] "
                             + "| \(row.verdict) |")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
