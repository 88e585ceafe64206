import ArgumentParser
import Foundation
import HeadScopeCore
import HeadScopeProbe

/// `headscope-probe`: stage 3, probes and functional heads (METHODS 1.5).
@main
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headscope-probe",
        abstract: "Train a logistic probe per (function, layer, head) on an activation store and pick functional heads.",
        discussion: """
            Reads activations/ (index.h5 over its shards, schema headscope-activations/1), keeps \
            the rows judged correct, splits train/test by main question, trains balanced \
            one-vs-rest L2 logistic regressions (C = 1, seed 42, features [z ; layer mean]) and \
            writes probes/: scores.h5, functional_heads.json, figures/*.svg and manifest.json. \
            Settings come from the defaults, then the `probe:` section of --config, then the \
            flags given. See docs/probes.md.
            """,
        version: ToolVersion.string)

    @Option(name: .long, help: "The activations directory written by headscope-extract.")
    var activations: String

    @Option(name: .long, help: "The output directory (replaced atomically), e.g. runs/<pipeline>/probes.")
    var output: String

    @Option(name: .long, help: "A pipeline YAML whose `probe:` section sets the options below.")
    var config: String?

    @Option(name: .long, help: "Rows to use: correct (judged correct, the papers'; default) or all.")
    var rows: ProbeOptions.RowFilter?

    @Option(name: .long, help: "Train/test split: auto (default: the store's split column if present, else seeded), column, or seeded (by main question).")
    var split: ProbeOptions.SplitSource?

    @Option(name: .long, help: "Fraction of main questions held out by a seeded split (default 0.2).")
    var testFraction: Double?

    @Option(name: .long, help: "Probe features: z-and-layer-mean (2 x head_dim, the papers'; default) or z.")
    var features: ProbeOptions.Features?

    @Option(name: .long, help: "Seed for the split, negative sampling, folds and permutations (default 42).")
    var seed: UInt64?

    @Option(name: .customLong("c"), help: "Inverse L2 regularisation strength, scikit-learn's C (default 1).")
    var c: Double?

    @Option(name: .long, help: "Cap on Newton iterations per probe (default 100).")
    var maxIterations: Int?

    @Option(name: .long, help: "Grouped (by main question) k-fold cross-validation on the train rows; 0 = off (default).")
    var cvFolds: Int?

    @Option(name: .long, help: "Shuffled-label probes per head for the chance baseline; 0 = off (default 1).")
    var permutations: Int?

    @Option(name: .long, help: "Minimum train rows (positives) of a function (default 10).")
    var minTrainRows: Int?

    @Option(name: .long, help: "Minimum test rows (positives) of a function (default 1).")
    var minTestRows: Int?

    @Flag(name: .long, help: "Leave out functions below the minimums (with a warning) instead of refusing.")
    var skipSmallFunctions = false

    @Option(name: .long, help: "Score ranking heads: recall (the papers' accuracy on positives; default), balanced_accuracy, accuracy or auc.")
    var rankBy: ScoreKind?

    @Option(name: .long, help: "Functional heads = top ceil(ratio x L x H) heads (default 0.1).")
    var topRatio: Double?

    @Option(name: .long, help: "Functional heads = top k heads (overrides the ratio).")
    var topK: Int?

    @Option(name: .long, help: "The threshold rule: heads scoring above this (default 0.85).")
    var threshold: Double?

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(name: .long, help: "Do not write the SVG figures.")
    var noFigures = false

    func options() throws -> ProbeOptions {
        var options = ProbeOptions()
        options.threads = ProcessInfo.processInfo.activeProcessorCount
        if let config {
            let file = try ConfigFile.load(URL(commandLinePath: config), displayPath: config)
            if let section = try file.root.optionalMapping("probe") {
                let configured = try ProbeOptions(config: section)
                let threads = options.threads
                options = configured
                if section["threads"] == nil { options.threads = threads }
            }
        }
        if let rows { options.rowFilter = rows }
        if let split { options.split = split }
        if let testFraction { options.testFraction = testFraction }
        if let features { options.features = features }
        if let seed { options.seed = seed }
        if let c { options.logistic.c = c }
        if let maxIterations { options.logistic.maxIterations = maxIterations }
        if let cvFolds { options.crossValidationFolds = cvFolds }
        if let permutations { options.permutations = permutations }
        if let minTrainRows { options.minTrainRows = minTrainRows }
        if let minTestRows { options.minTestRows = minTestRows }
        if skipSmallFunctions { options.skipSmallFunctions = true }
        if let rankBy { options.rankBy = rankBy }
        if let topRatio { options.topRatio = topRatio }
        if let topK { options.topK = topK }
        if let threshold { options.threshold = threshold }
        if let threads { options.threads = threads }
        return options
    }

    func run() throws {
        let summary = StageMain.run { () throws -> ProbeStage.Summary in
            let stage = ProbeStage(activations: URL(commandLinePath: activations), output: URL(commandLinePath: output),
                                   options: try options(), figures: !noFigures)
            return try stage.run()
        }
        print("probes: \(summary.probes) probes (\(summary.fits) fits) for \(summary.functions.count) functions, "
              + "top \(summary.topK) heads each, in \(summary.output.path)")
        print("training_seconds=\(String(format: "%.3f", summary.trainingSeconds))")
    }
}

extension ProbeOptions.RowFilter: ExpressibleByArgument {}
extension ProbeOptions.SplitSource: ExpressibleByArgument {}
extension ProbeOptions.Features: ExpressibleByArgument {}
extension ScoreKind: ExpressibleByArgument {}
