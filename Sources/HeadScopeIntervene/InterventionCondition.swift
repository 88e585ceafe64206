import HeadScopeCore
import HeadScopeEngine

/// One condition of the experiment: a set of heads, what is done to them (an engine plan), and
/// which subquestions it is run on.
public struct InterventionCondition: Sendable, Codable, Equatable {
    /// What kind of condition this is; decides the metric the summary reports.
    public enum Kind: String, Sendable, Codable {
        /// No edits: the model's own answers on every test subquestion.
        case base
        /// The function's functional heads ablated (METHODS 1.6).
        case ablateTop = "ablate-top"
        /// Control: as many random heads from outside the top set (one seed).
        case ablateRandom = "ablate-random"
        /// Control: the k lowest-ranked heads.
        case ablateBottom = "ablate-bottom"
        /// Control: another function's functional heads.
        case ablateOther = "ablate-other"
        /// ITI steering of the top set (METHODS 1.7).
        case steerTop = "steer-top"
        /// Steering of a rank range (CogVSR's "latent" heads).
        case steerRanks = "steer-ranks"
        /// Chains walked with the model's own answers, no edits (hierarchy reference).
        case chainBase = "chain-base"
        /// Chains walked with a low-level function's heads ablated throughout (METHODS 1.8).
        case chainAblate = "chain-ablate"

        /// Ablations are scored by agreement with the un-ablated answer on steps the model had right.
        public var isAblation: Bool {
            [.ablateTop, .ablateRandom, .ablateBottom, .ablateOther].contains(self)
        }
        public var isChain: Bool { self == .chainBase || self == .chainAblate }
    }

    /// File-name-safe unique name (`<function slug>--<kind>[-detail]`).
    public var name: String
    public var kind: Kind
    /// The function whose subquestions are run (the low function for chain ablations; nil for
    /// the base and chain-base conditions, which cover every studied function).
    public var function: String?
    /// The heads edited, in plan order.
    public var heads: [HeadRef]
    /// Random-control seed, other function, steering strength, rank range, when relevant.
    public var seed: UInt64?
    public var otherFunction: String?
    public var alpha: Double?
    public var ranks: [Int]?
    /// The engine plan every run of this condition uses.
    public var plan: InterpretabilityPlan

    enum CodingKeys: String, CodingKey {
        case name, kind, function, heads, seed, alpha, ranks, plan
        case otherFunction = "other_function"
    }

    public init(name: String, kind: Kind, function: String?, heads: [HeadRef], seed: UInt64? = nil,
                otherFunction: String? = nil, alpha: Double? = nil, ranks: [Int]? = nil, plan: InterpretabilityPlan) {
        self.name = name; self.kind = kind; self.function = function; self.heads = heads; self.seed = seed
        self.otherFunction = otherFunction; self.alpha = alpha; self.ranks = ranks; self.plan = plan
    }
}

/// Builds the engine plans of conditions.
public enum PlanBuilder {
    /// An ablation of `heads` by `settings.ablation`; `means` supplies the vectors of mean ablation.
    public static func ablation(_ heads: [HeadRef], settings: InterventionSettings,
                                means: ActivationStatistics?) throws -> InterpretabilityPlan {
        let positions = selector(settings.positions)
        let edits = try heads.map { head -> HeadEdit in
            let operation: ZOperation
            switch settings.ablation {
            case .scale: operation = .scale(settings.scale)
            case .zero: operation = .zero
            case .mean:
                guard let means else {
                    throw InterventionError("", "mean ablation needs the activation store", remedy: "pass --activations")
                }
                operation = .replace(means.mean(head))
            }
            return HeadEdit(layer: head.layer, head: head.head, positions: positions, operation: operation)
        }
        return InterpretabilityPlan(edits: edits)
    }

    /// ITI steering: `alpha * sigma * direction` added to each head's `z`.
    public static func steering(_ directions: [ActivationStatistics.Direction], alpha: Double,
                                settings: InterventionSettings) -> InterpretabilityPlan {
        let positions = selector(settings.positions)
        return InterpretabilityPlan(edits: directions.map { d in
            let factor = Float(alpha * d.sigma)
            return HeadEdit(layer: d.head.layer, head: d.head.head, positions: positions,
                            operation: .add(d.vector.map { $0 * factor }))
        })
    }

    static func selector(_ positions: InterventionSettings.Positions) -> PositionSelector {
        positions == .generated ? .generated : .all
    }
}

/// Head sets for the controls.
public enum ControlHeads {
    /// `count` heads drawn without replacement from the grid minus `excluded`, for `seed` and the
    /// function (its name picks the stream, so adding a function does not change another's draw).
    /// Returned in (layer, head) order.
    public static func random(count: Int, excluding excluded: [HeadRef], layers: Int, heads: Int,
                              seed: UInt64, function: String) -> [HeadRef] {
        let skip = Set(excluded)
        let pool = (0..<(layers * heads)).map { HeadRef(layer: $0 / heads, head: $0 % heads) }.filter { !skip.contains($0) }
        var generator = SeededGenerator(seed: seed, streams: SeededGenerator.label(function))
        return generator.sample(pool, count: count).sorted()
    }

    /// The `count` lowest-ranked heads of `ranking` (best first), worst last in the ranking.
    public static func bottom(count: Int, ranking: [HeadRef]) -> [HeadRef] {
        Array(ranking.suffix(count))
    }

    /// Heads at 1-based ranks `ranks` of `ranking` (clipped to the grid).
    public static func ranks(_ ranks: ClosedRange<Int>, ranking: [HeadRef]) -> [HeadRef] {
        let lower = max(0, ranks.lowerBound - 1), upper = min(ranking.count, ranks.upperBound)
        return lower < upper ? Array(ranking[lower..<upper]) : []
    }
}

/// File-name-safe names for functions (the probe stage's slug rule: lowercase letters and digits,
/// `-` between words).
public enum Slug {
    public static func make(_ name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                slug.unicodeScalars.append(scalar)
            } else if !slug.hasSuffix("-") && !slug.isEmpty {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "function" : slug
    }

    /// Distinct slugs for distinct names, in order (`-2`, `-3` for collisions).
    public static func distinct(_ names: [String]) -> [String: String] {
        var used = Set<String>(), result: [String: String] = [:]
        for name in names where result[name] == nil {
            let slug = make(name)
            var candidate = slug, n = 2
            while used.contains(candidate) { candidate = "\(slug)-\(n)"; n += 1 }
            used.insert(candidate)
            result[name] = candidate
        }
        return result
    }
}
