import ArgumentParser
import Foundation
import HeadScopeCore
import HeadScopeIntervene
import HeadScopeQA

/// `headscope-intervene`: stage 4 of the pipeline (see docs/interventions.md).
@main
struct InterveneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headscope-intervene",
        abstract: "Ablate and steer functional heads, and walk chains with low-level heads ablated, writing interventions/.",
        discussion: """
        Settings come from the defaults, then the `intervene:` section of --config, then the \
        flags. Reads prepared/ (test subquestions), probes/ (functional heads, scores) and, for mean \
        ablation and steering, activations/. Every condition is an engine plan saved as \
        conditions/<name>.plan.json beside its results (<name>.jsonl); finished conditions are \
        not rerun, so an interrupted run resumes. Writes summary.json, summary.md, figures/*.svg \
        and manifest.json.
        """,
        version: ToolVersion.string)

    @Option(name: .long, help: "A pipeline YAML whose `intervene:` section sets the paths and options below (flags override it); paths default to runs/<pipeline>/..., the model to the `extract:` section's.")
    var config: String?

    @Option(name: .long, help: "The prepared/ directory.")
    var prepared: String?

    @Option(name: .long, help: "The probes/ directory.")
    var probes: String?

    @Option(name: .long, help: "The activations/ directory (needed for mean ablation and steering).")
    var activations: String?

    @Option(name: .long, help: "The interventions/ directory to write.")
    var output: String?

    @Option(name: .long, help: "The model: a checkpoint folder, or `builtin`.")
    var model: String?

    @Option(name: .long, parsing: .singleValue, help: "A function to study (repeatable; default: every function with probes and test subquestions).")
    var function: [String] = []

    @Option(name: .customLong("head-set"), help: "Functional heads: top (top-k of the probes; default) or threshold (all above the probe threshold).")
    var headSet: String?

    @Option(name: .long, help: "Ablation: scale (default), zero or mean.")
    var ablation: String?

    @Option(name: .long, help: "Factor of scale ablation (default 1e-4).")
    var scale: Float?

    @Option(name: .long, help: "Where edits act: generated (answer tokens only; default) or all positions.")
    var positions: String?

    @Option(name: .customLong("random-seeds"), help: "Seeds of the random-heads control, comma-separated (default 42,43,44,45,46; empty: none).")
    var randomSeeds: String?

    @Flag(name: .customLong("no-bottom"), help: "Leave out the bottom-k control.")
    var noBottom = false

    @Flag(name: .customLong("no-other-functions"), help: "Leave out the other-functions controls.")
    var noOtherFunctions = false

    @Flag(name: .customLong("no-steer"), help: "Leave out steering of the top heads.")
    var noSteer = false

    @Option(name: .long, help: "Steering strengths, comma-separated (default 1; a sweep gives one condition each).")
    var alphas: String?

    @Option(name: .customLong("latent-ranks"), help: "Steer heads at these 1-based ranks, e.g. 21-40 (just below a top set of 20).")
    var latentRanks: String?

    @Option(name: .long, parsing: .singleValue, help: "Hierarchy pair LOW>HIGH (repeatable), or `auto` for every ordered pair seen in enough test chains.")
    var hierarchy: [String] = []

    @Option(name: .customLong("hierarchy-min-chains"), help: "Chains a pair needs under --hierarchy auto (default 5).")
    var hierarchyMinChains: Int?

    @Option(name: .long, help: "Context for earlier steps in per-step conditions: none (default) or gold.")
    var context: String?

    @Option(name: .customLong("test-split"), help: "The split whose subquestions are run (default test).")
    var testSplit: String?

    @Option(name: .customLong("direction-split"), help: "Split of the activation rows steering directions come from (default train).")
    var directionSplit: String?

    @Option(name: .customLong("tuning-split"), help: "Split of the activation rows sigma is measured on (default train).")
    var tuningSplit: String?

    @Option(name: .customLong("mean-split"), help: "Split of the activation rows averaged for mean ablation (default: all).")
    var meanSplit: String?

    @Option(name: .customLong("max-new-tokens"), help: "Generation limit per answer (default 128).")
    var maxNewTokens: Int?

    @Option(name: .long, help: "Bootstrap resamples for the 95% intervals (default 1000).")
    var bootstrap: Int?

    @Option(name: .long, help: "Seed of the bootstrap (default 42).")
    var seed: UInt64?

    @Option(name: .long, help: "Only the first N test items.")
    var limit: Int?

    @Option(name: .customLong("session-cache"), help: "Image sessions kept open across conditions (default 64; 0: none). Memory, not results.")
    var sessionCache: Int = 64

    func run() throws {
        StageMain.run {
            let settings = try makeSettings()
            let paths = try makePaths()
            let loader: any InterveneRuntimeLoading = StageRuntimeLoader()
            let runtime = try loader.load(model: paths.model)
            let needsStore = settings.needsActivations || activations != nil
            let summary = try InterventionStage(prepared: paths.prepared, probes: paths.probes,
                                                activations: needsStore ? paths.activations : nil, output: paths.output,
                                                runtime: runtime, settings: settings,
                                                sessionCacheSize: max(0, sessionCache)).run()
            Log.info("\(summary.conditionsRun) conditions run, \(summary.conditionsSkipped) already done; "
                     + "\(summary.stepsRun) subquestions answered; table in \(paths.output.appendingPathComponent("summary.md").path)")
        }
    }

    /// Paths and model: flags, else the config (and its defaults), else an error naming the flag.
    func makePaths() throws -> InterventionPaths {
        let path = URL.init(commandLinePath:)
        var paths: InterventionPaths
        if let config {
            paths = try InterventionPaths.load(try ConfigFile.load(path(config), displayPath: config))
        } else {
            guard let prepared, let probes, let output, let model else {
                throw StageError("without --config, pass --prepared, --probes, --output and --model (and --activations for mean ablation or steering)")
            }
            // The activations default to the pipeline layout's sibling of prepared/.
            paths = InterventionPaths(prepared: path(prepared), probes: path(probes),
                                      activations: path(prepared).deletingLastPathComponent().appendingPathComponent("activations"),
                                      output: path(output), model: model)
        }
        if let prepared { paths.prepared = path(prepared) }
        if let probes { paths.probes = path(probes) }
        if let activations { paths.activations = path(activations) }
        if let output { paths.output = path(output) }
        if let model { paths.model = model }
        return paths
    }

    func makeSettings() throws -> InterventionSettings {
        func choice<E: RawRepresentable & CaseIterable>(_ value: String, _ option: String, _: E.Type) throws -> E where E.RawValue == String {
            guard let parsed = E(rawValue: value) else {
                throw StageError("--\(option) \(value) is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return parsed
        }
        var s = InterventionSettings()
        if let config {
            let file = try ConfigFile.load(URL(commandLinePath: config), displayPath: config)
            if let section = try file.root.optionalMapping("intervene") { s = try InterventionSettings(config: section) }
        }
        if !function.isEmpty { s.functions = function }
        if let headSet { s.headSet = try choice(headSet, "head-set", ProbeResults.HeadSet.self) }
        if let ablation { s.ablation = try choice(ablation, "ablation", InterventionSettings.Ablation.self) }
        if let scale { s.scale = scale }
        if let positions { s.positions = try choice(positions, "positions", InterventionSettings.Positions.self) }
        if let randomSeeds {
            s.randomSeeds = try randomSeeds.split(separator: ",").map { text in
                guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                    throw StageError("--random-seeds: `\(text)` is not a non-negative integer")
                }
                return seed
            }
        }
        if noBottom { s.bottomControl = false }
        if noOtherFunctions { s.otherFunctionControls = false }
        if noSteer { s.steering = false }
        if let alphas {
            s.alphas = try alphas.split(separator: ",").map { text in
                guard let alpha = Double(text.trimmingCharacters(in: .whitespaces)) else {
                    throw StageError("--alphas: `\(text)` is not a number")
                }
                return alpha
            }
        }
        if let latentRanks {
            guard let range = InterventionSettings.parseRanks(latentRanks) else {
                throw StageError("--latent-ranks \(latentRanks) is not a rank range like 21-40")
            }
            s.latentRanks = range
        }
        if !hierarchy.isEmpty {
            s.hierarchy = []
            s.hierarchyAuto = false
            for entry in hierarchy {
                if entry == "auto" { s.hierarchyAuto = true; continue }
                guard let pair = InterventionSettings.parsePair(entry) else {
                    throw StageError("--hierarchy \(entry) is not LOW>HIGH (function labels) or auto")
                }
                s.hierarchy.append(pair)
            }
        }
        if let hierarchyMinChains { s.hierarchyMinimumChains = hierarchyMinChains }
        if let context { s.context = try choice(context, "context", ContextPolicy.self) }
        if let testSplit { s.testSplit = testSplit }
        if let directionSplit { s.directionSplit = directionSplit }
        if let tuningSplit { s.tuningSplit = tuningSplit }
        if let meanSplit { s.meanSplit = meanSplit }
        if let maxNewTokens { s.maxNewTokens = maxNewTokens }
        if let bootstrap { s.bootstrapSamples = bootstrap }
        if let seed { s.seed = seed }
        if let limit { s.limit = limit }
        return s
    }
}
