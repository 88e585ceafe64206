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
            See docs/probes.md.
            """,
        version: ToolVersion.string)

    @Option(name: .long, help: "The activations directory written by headscope-extract.")
    var activations: String

    @Option(name: .long, help: "The output directory (replaced atomically), e.g. runs/<pipeline>/probes.")
    var output: String

    @Option(name: .long, help: "Rows to use: correct (judged correct, the papers') or all.")
    var rows: ProbeOptions.RowFilter = .correct

    @Option(name: .long, help: "Train/test split: auto (the store's split column if present, else seeded), column, or seeded (by main question).")
    var split: ProbeOptions.SplitSource = .auto

    @Option(name: .long, help: "Fraction of main questions held out by a seeded split.")
    var testFraction: Double = 0.2

    @Option(name: .long, help: "Probe features: z-and-layer-mean (2 x head_dim, the papers') or z.")
    var features: ProbeOptions.Features = .zAndLayerMean

    @Option(name: .long, help: "Seed for the split, negative sampling, folds and permutations.")
    var seed: UInt64 = 42

    @Option(name: .customLong("c"), help: "Inverse L2 regularisation strength (scikit-learn's C).")
    var c: Double = 1

    @Option(name: .long, help: "Cap on Newton iterations per probe.")
    var maxIterations: Int = 100

    @Option(name: .long, help: "Grouped (by main question) k-fold cross-validation on the train rows; 0 = off.")
    var cvFolds: Int = 0

    @Option(name: .long, help: "Shuffled-label probes per head for the chance baseline; 0 = off.")
    var permutations: Int = 1

    @Option(name: .long, help: "Minimum train rows of a function (positives).")
    var minTrainRows: Int = 10

    @Option(name: .long, help: "Minimum test rows of a function (positives).")
    var minTestRows: Int = 1

    @Flag(name: .long, help: "Leave out functions below the minimums (with a warning) instead of refusing.")
    var skipSmallFunctions = false

    @Option(name: .long, help: "Score ranking heads: recall (the papers' accuracy on positives), balanced_accuracy, accuracy or auc.")
    var rankBy: ScoreKind = .recall

    @Option(name: .long, help: "Functional heads = top ceil(ratio x L x H) heads.")
    var topRatio: Double = 0.1

    @Option(name: .long, help: "Functional heads = top k heads (overrides --top-ratio).")
    var topK: Int?

    @Option(name: .long, help: "The threshold rule: heads scoring above this.")
    var threshold: Double = 0.85

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .long, help: "Do not write the SVG figures.")
    var noFigures = false

    func run() throws {
        var options = ProbeOptions()
        options.rowFilter = rows
        options.split = split
        options.testFraction = testFraction
        options.features = features
        options.seed = seed
        options.logistic = LogisticRegressionOptions(c: c, maxIterations: maxIterations)
        options.crossValidationFolds = cvFolds
        options.permutations = permutations
        options.minTrainRows = minTrainRows
        options.minTestRows = minTestRows
        options.skipSmallFunctions = skipSmallFunctions
        options.rankBy = rankBy
        options.topRatio = topRatio
        options.topK = topK
        options.threshold = threshold
        options.threads = threads
        let stage = ProbeStage(activations: URL(fileURLWithPath: activations), output: URL(fileURLWithPath: output),
                               options: options, figures: !noFigures)
        let summary = StageMain.run { try stage.run() }
        print("probes: \(summary.probes) probes (\(summary.fits) fits) for \(summary.functions.count) functions, "
              + "top \(summary.topK) heads each, in \(summary.output.path)")
        print("training_seconds=\(String(format: "%.3f", summary.trainingSeconds))")
    }
}

extension ProbeOptions.RowFilter: ExpressibleByArgument {}
extension ProbeOptions.SplitSource: ExpressibleByArgument {}
extension ProbeOptions.Features: ExpressibleByArgument {}
extension ScoreKind: ExpressibleByArgument {}
