import Foundation
import HeadScopeCore
import HeadScopeQA

extension InterventionSettings {
    /// The keys a pipeline's `intervene:` section may hold: the paths and model of
    /// `InterventionPaths`, then the settings (the names the manifest records).
    public static let configKeys = InterventionPaths.keys + [
        "functions", "head_set", "ablation", "scale", "positions", "random_seeds", "bottom_control",
        "other_function_controls", "steering", "alphas", "latent_ranks", "hierarchy", "hierarchy_min_chains",
        "context", "test_split", "direction_split", "tuning_split", "mean_split", "max_new_tokens",
        "bootstrap_samples", "seed", "limit",
    ]

    /// Settings from a pipeline's `intervene:` mapping; absent keys keep their defaults, unknown
    /// keys and bad values are refused with the file, line and key.
    ///
    /// `latent_ranks` is `21-40` or `[21, 40]`; `hierarchy` a list of `LOW>HIGH` labels and/or
    /// `auto`.
    public init(config node: ConfigNode) throws {
        self.init()
        try node.rejectUnknownKeys(allowed: InterventionSettings.configKeys)
        if node["functions"] != nil { functions = try node.stringList("functions") }
        headSet = try node.enumValue("head_set", default: headSet)
        ablation = try node.enumValue("ablation", default: ablation)
        scale = Float(try node.double("scale", default: Double(scale)))
        positions = try node.enumValue("positions", default: positions)
        randomSeeds = try node.intList("random_seeds", default: randomSeeds.map { Int($0) }, in: 0...Int.max).map(UInt64.init)
        bottomControl = try node.bool("bottom_control", default: bottomControl)
        otherFunctionControls = try node.bool("other_function_controls", default: otherFunctionControls)
        steering = try node.bool("steering", default: steering)
        if let list = try node.optional("alphas") { alphas = try list.asList().map { try $0.asDouble() } }
        if let ranks = try node.optional("latent_ranks") {
            if case .string(let text) = ranks.value {
                guard let range = InterventionSettings.parseRanks(text) else { throw ranks.error("expected a rank range like 21-40, found \(text)") }
                latentRanks = range
            } else {
                let pair = try ranks.asIntList(in: 1...Int.max)
                guard pair.count == 2, pair[0] <= pair[1] else { throw ranks.error("expected [first, last] ranks with first <= last") }
                latentRanks = pair[0]...pair[1]
            }
        }
        if let list = try node.optional("hierarchy") {
            for entry in try list.asList() {
                let text = try entry.asString()
                if text == "auto" { hierarchyAuto = true; continue }
                guard let pair = InterventionSettings.parsePair(text) else { throw entry.error("expected LOW>HIGH (function labels) or auto, found \(text)") }
                hierarchy.append(pair)
            }
        }
        hierarchyMinimumChains = try node.int("hierarchy_min_chains", default: hierarchyMinimumChains, in: 1...Int.max)
        context = try node.enumValue("context", default: context)
        testSplit = try node.string("test_split", default: testSplit)
        directionSplit = try node.string("direction_split", default: directionSplit)
        tuningSplit = try node.string("tuning_split", default: tuningSplit)
        meanSplit = try node.optionalString("mean_split")
        maxNewTokens = try node.int("max_new_tokens", default: maxNewTokens, in: 1...Int.max)
        bootstrapSamples = try node.int("bootstrap_samples", default: bootstrapSamples, in: 1...Int.max)
        seed = UInt64(try node.int("seed", default: Int(seed), in: 0...Int.max))
        limit = try node.optionalInt("limit", in: 1...Int.max)
    }

    /// `21-40` as 21...40 (1-based, first <= last), nil otherwise.
    public static func parseRanks(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let first = parts[0], let last = parts[1], first >= 1, first <= last else { return nil }
        return first...last
    }

    /// `LOW>HIGH` as a pair of trimmed labels, nil otherwise.
    public static func parsePair(_ text: String) -> HierarchyPair? {
        let parts = text.components(separatedBy: ">").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return HierarchyPair(low: parts[0], high: parts[1])
    }
}

/// Where the stage reads and writes, and which model it runs, from a pipeline config.
///
/// Defaults follow the pipeline layout: `runs/<pipeline>/{prepared,probes,activations,interventions}`
/// (`<pipeline>` is the config's file name), and the model of the `extract:` section (the model
/// the activations, and so the probes, come from), else `builtin`.
public struct InterventionPaths: Sendable, Equatable {
    public static let keys = ["prepared", "probes", "activations", "output", "model"]

    public var prepared: URL
    public var probes: URL
    public var activations: URL
    public var output: URL
    public var model: String

    public init(prepared: URL, probes: URL, activations: URL, output: URL, model: String) {
        self.prepared = prepared; self.probes = probes; self.activations = activations; self.output = output; self.model = model
    }

    public static func load(_ file: ConfigFile) throws -> InterventionPaths {
        let section = try file.root.optionalMapping("intervene")
        let run = file.baseDirectory.appendingPathComponent("runs/\(file.url.deletingPathExtension().lastPathComponent)")
        let extractModel = try file.root.optionalMapping("extract")?.optionalString("model")
        return InterventionPaths(
            prepared: try section?.optionalPath("prepared") ?? run.appendingPathComponent("prepared"),
            probes: try section?.optionalPath("probes") ?? run.appendingPathComponent("probes"),
            activations: try section?.optionalPath("activations") ?? run.appendingPathComponent("activations"),
            output: try section?.optionalPath("output") ?? run.appendingPathComponent("interventions"),
            model: try section?.optionalString("model") ?? extractModel ?? "builtin")
    }
}
