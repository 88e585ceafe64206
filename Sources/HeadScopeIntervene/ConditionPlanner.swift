import Foundation
import HeadScopeCore
import HeadScopeEngine
import HeadScopeExtract
import HeadScopeRuntime

/// Every condition of a run, decided before any is run (so the list, and `run.json`, do not
/// depend on what has been done already).
struct ConditionPlan {
    /// A chain condition and the chains it walks (each through the last step it scores).
    struct ChainRun {
        var condition: InterventionCondition
        var items: [(item: PreparedDataset.Item, through: Int)]
    }

    /// For one hierarchy pair, the high-function steps scored (after the chain's first low step).
    struct PairScoring {
        var pair: InterventionSettings.HierarchyPair
        var steps: [StepKey]
    }

    var base: InterventionCondition
    var baseSteps: [StepKey]
    var perFunction: [InterventionCondition]
    var chains: [ChainRun]
    var pairs: [InterventionSettings.HierarchyPair]
    var scoring: [PairScoring]
    var functions: [String]
    var notes: [String]

    var all: [InterventionCondition] { [base] + perFunction + chains.map(\.condition) }

    static let chainBaseName = "chains--base"
}

/// Builds the conditions of a run from its inputs and settings.
struct ConditionPlanner {
    var inputs: InterventionStage.Inputs
    var settings: InterventionSettings
    var runtime: any VLMRuntime

    func plan() throws -> ConditionPlan {
        var notes: [String] = []
        let probes = inputs.probes, g = runtime.geometry
        let functions = inputs.functions, slugs = inputs.slugs
        let studied = Set(functions)
        let base = InterventionCondition(name: "base", kind: .base, function: nil, heads: [], plan: InterpretabilityPlan())
        var baseSteps: [StepKey] = []
        for item in inputs.testItems {
            for (index, step) in item.steps.enumerated() where studied.contains(step.function) {
                baseSteps.append(StepKey(itemID: item.id, step: index))
            }
        }
        var means: ActivationStatistics?
        if settings.ablation == .mean, let reader = inputs.reader {
            means = try ActivationStatistics(reader: reader, split: settings.meanSplit)
        }
        func ablation(_ heads: [HeadRef]) throws -> InterpretabilityPlan {
            try PlanBuilder.ablation(heads, settings: settings, means: means)
        }
        func alphaText(_ alpha: Double) -> String { String(format: "%g", alpha) }

        var perFunction: [InterventionCondition] = []
        for function in functions {
            guard let f = probes.function(function) else { continue }
            let slug = slugs[function] ?? Slug.make(function)
            let top = f.heads(settings.headSet), k = top.count
            perFunction.append(InterventionCondition(name: "\(slug)--ablate-top", kind: .ablateTop, function: function,
                                                     heads: top, plan: try ablation(top)))
            for seed in settings.randomSeeds {
                let heads = ControlHeads.random(count: k, excluding: top, layers: g.layers, heads: g.heads, seed: seed, function: function)
                if heads.count < k { notes.append("\(function): only \(heads.count) heads lie outside the top set for the random control (k = \(k))") }
                perFunction.append(InterventionCondition(name: "\(slug)--ablate-random-s\(seed)", kind: .ablateRandom, function: function,
                                                         heads: heads, seed: seed, plan: try ablation(heads)))
            }
            if settings.bottomControl {
                if f.ranking.isEmpty {
                    notes.append("\(function): scores.h5 has no `\(probes.rankBy)` scores, so there is no bottom-k control")
                } else {
                    let heads = ControlHeads.bottom(count: k, ranking: f.ranking)
                    perFunction.append(InterventionCondition(name: "\(slug)--ablate-bottom", kind: .ablateBottom, function: function,
                                                             heads: heads, plan: try ablation(heads)))
                }
            }
            if settings.otherFunctionControls {
                for other in probes.functions where other.name != function {
                    let heads = other.heads(settings.headSet)
                    guard !heads.isEmpty else { continue }
                    let otherSlug = slugs[other.name] ?? Slug.make(other.name)
                    perFunction.append(InterventionCondition(name: "\(slug)--ablate-other-\(otherSlug)", kind: .ablateOther,
                                                             function: function, heads: heads, otherFunction: other.name,
                                                             plan: try ablation(heads)))
                }
            }
            if let reader = inputs.reader, settings.steering || settings.latentRanks != nil {
                func directions(_ heads: [HeadRef]) -> [ActivationStatistics.Direction]? {
                    do {
                        return try ActivationStatistics.directions(reader: reader, function: function, heads: heads,
                                                                   directionSplit: settings.directionSplit, tuningSplit: settings.tuningSplit)
                    } catch {
                        notes.append("steering of `\(function)` left out: \(error)")
                        return nil
                    }
                }
                if settings.steering, let found = directions(top) {
                    for alpha in settings.alphas {
                        perFunction.append(InterventionCondition(name: "\(slug)--steer-top-a\(alphaText(alpha))", kind: .steerTop,
                                                                 function: function, heads: top, alpha: alpha,
                                                                 plan: PlanBuilder.steering(found, alpha: alpha, settings: settings)))
                    }
                }
                if let range = settings.latentRanks {
                    let heads = ControlHeads.ranks(range, ranking: f.ranking)
                    if heads.isEmpty {
                        notes.append("\(function): no head at ranks \(range.lowerBound)-\(range.upperBound) (ranking of \(f.ranking.count) heads); no latent steering")
                    } else if let found = directions(heads) {
                        for alpha in settings.alphas {
                            perFunction.append(InterventionCondition(
                                name: "\(slug)--steer-ranks-\(range.lowerBound)-\(range.upperBound)-a\(alphaText(alpha))",
                                kind: .steerRanks, function: function, heads: heads, alpha: alpha,
                                ranks: [range.lowerBound, range.upperBound],
                                plan: PlanBuilder.steering(found, alpha: alpha, settings: settings)))
                        }
                    }
                }
            }
        }

        // Hierarchy: one un-ablated walk over every chain needed, one ablated walk per low function.
        var scoring: [ConditionPlan.PairScoring] = []
        var through: [String: Int] = [:], throughByLow: [String: [String: Int]] = [:]
        for pair in inputs.pairs {
            var steps: [StepKey] = []
            for item in inputs.testItems {
                guard let low = item.steps.firstIndex(where: { $0.function == pair.low }) else { continue }
                let scored = item.steps.indices.filter { $0 > low && item.steps[$0].function == pair.high }
                guard let last = scored.last else { continue }
                steps += scored.map { StepKey(itemID: item.id, step: $0) }
                through[item.id] = max(through[item.id] ?? 0, last)
                throughByLow[pair.low, default: [:]][item.id] = max(throughByLow[pair.low]?[item.id] ?? 0, last)
            }
            scoring.append(.init(pair: pair, steps: steps))
        }
        func chainItems(_ map: [String: Int]) -> [(item: PreparedDataset.Item, through: Int)] {
            inputs.testItems.compactMap { item in map[item.id].map { (item, $0) } }
        }
        var chains: [ConditionPlan.ChainRun] = []
        if !inputs.pairs.isEmpty {
            chains.append(.init(condition: InterventionCondition(name: ConditionPlan.chainBaseName, kind: .chainBase, function: nil,
                                                                 heads: [], plan: InterpretabilityPlan()),
                                items: chainItems(through)))
            var lows: [String] = []
            for pair in inputs.pairs where !lows.contains(pair.low) { lows.append(pair.low) }
            for low in lows {
                guard let heads = probes.function(low)?.heads(settings.headSet), !heads.isEmpty else { continue }
                let slug = slugs[low] ?? Slug.make(low)
                chains.append(.init(condition: InterventionCondition(name: "chains--ablate-\(slug)", kind: .chainAblate, function: low,
                                                                     heads: heads, plan: try ablation(heads)),
                                    items: chainItems(throughByLow[low] ?? [:])))
            }
        }
        return ConditionPlan(base: base, baseSteps: baseSteps, perFunction: perFunction, chains: chains, pairs: inputs.pairs,
                             scoring: scoring, functions: functions, notes: notes)
    }
}

/// Which (low, high) function pairs the hierarchy experiment studies.
enum HierarchyPairs {
    static func resolve(settings: InterventionSettings, functions: [String], probes: ProbeResults,
                        testItems: [PreparedDataset.Item], itemsPath: String) throws -> [InterventionSettings.HierarchyPair] {
        func chains(_ pair: InterventionSettings.HierarchyPair) -> Int {
            testItems.filter { item in
                guard let low = item.steps.firstIndex(where: { $0.function == pair.low }) else { return false }
                return item.steps.indices.contains { $0 > low && item.steps[$0].function == pair.high }
            }.count
        }
        var pairs: [InterventionSettings.HierarchyPair] = []
        for pair in settings.hierarchy {
            guard let low = probes.function(pair.low), !low.heads(settings.headSet).isEmpty else {
                throw InterventionError(probes.directory.path, "hierarchy pair \(pair.low)>\(pair.high): `\(pair.low)` has no functional heads to ablate",
                                        remedy: "name a function of the probes (\(probes.functionNames.joined(separator: ", ")))")
            }
            guard chains(pair) > 0 else {
                throw InterventionError(itemsPath, "hierarchy pair \(pair.low)>\(pair.high): no test chain has a `\(pair.low)` step before a `\(pair.high)` step",
                                        remedy: "choose a pair that occurs in this order in the data")
            }
            if !pairs.contains(pair) { pairs.append(pair) }
        }
        if settings.hierarchyAuto {
            for low in functions {
                guard let f = probes.function(low), !f.heads(settings.headSet).isEmpty else { continue }
                for high in functions where high != low {
                    let pair = InterventionSettings.HierarchyPair(low: low, high: high)
                    if !pairs.contains(pair) && chains(pair) >= settings.hierarchyMinimumChains { pairs.append(pair) }
                }
            }
        }
        return pairs
    }
}
