import ArgumentParser
import Foundation
import HeadScopeAttribute
import HeadScopeCore
import HeadScopeRuntime

/// `headscope-attribute`: stage 5 of the pipeline (see docs/attribution.md).
@main
struct AttributeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headscope-attribute",
        abstract: "Attribute the image-to-text flow of a VLM's answer to its decoder heads (writes attribution/).",
        discussion: """
        For every main-object item of prepared/, runs the model under random keep-masks (each head \
        keeps image access with --keep-prob; an ablated head sees baseline keys and values at the \
        image positions), fits outcome ~ b0 + sum b_h keep_h, checks it on held-out masks, scores \
        faithfulness/completeness curves against single-head and attention rankings, and runs \
        attention knockout inside the top heads. Masks and outcomes are kept per image \
        (attribution/runs/), so an interrupted run resumes and fits can be redone without the model.
        """,
        version: ToolVersion.string)

    @Option(name: .long, help: "The prepared/ directory (stage 1 output).")
    var prepared: String

    @Option(name: .long, help: "The attribution/ directory to write.")
    var output: String

    @Option(name: .long, help: "Model: a Hugging Face folder, a GGUF file, or `builtin`.")
    var model: String = "builtin"

    @Option(name: .long, help: "Keep-masks per image.")
    var masks: Int = 1000

    @Option(name: .customLong("keep-prob"), help: "Probability that a head keeps image access in a mask.")
    var keepProbability: Double = 0.9

    @Option(name: .long, help: "Seed of the mask streams.")
    var seed: UInt64 = 42

    @Option(name: .long, help: "Outcome to attribute: logit or margin.")
    var outcome: String = "logit"

    @Option(name: .long, help: "Fit: ols, ridge or lasso.")
    var fit: String = "ridge"

    @Option(name: .customLong("ridge-lambda"), help: "Ridge penalty.")
    var ridgeLambda: Double = 1

    @Option(name: .customLong("held-out"), help: "Share of masks held out to check the fit.")
    var heldOut: Double = 0.2

    @Option(name: .customLong("top-k"), help: "Size of each image's top head set (default ceil(0.1 L H)).")
    var topK: Int?

    @Option(name: .long, help: "Baseline keys/values at image positions: mean (over reference images) or blank.")
    var baseline: String = "mean"

    @Option(name: .customLong("reference-images"), help: "Reference images for the mean baseline.")
    var referenceImages: Int = 8

    @Option(name: .customLong("knockout-window"), help: "Layers per knockout window.")
    var knockoutWindow: Int = 3

    @Option(name: .customLong("knockout-stride"), help: "Layers between knockout windows.")
    var knockoutStride: Int = 1

    @Flag(name: .customLong("knockout-all-heads"), help: "Block attention in all heads of a window, not only the top heads.")
    var knockoutAllHeads = false

    @Flag(name: .customLong("no-evaluate"), help: "Skip the faithfulness/completeness curves.")
    var noEvaluate = false

    @Flag(name: .customLong("no-knockout"), help: "Skip the attention knockout.")
    var noKnockout = false

    @Option(name: .customLong("max-images"), help: "Attribute at most this many images.")
    var maxImages: Int?

    @Option(name: .long, help: "Only items of this split.")
    var split: String?

    func run() throws {
        StageMain.run {
            guard let outcomeKind = OutcomeKind(rawValue: outcome) else {
                throw StageError("--outcome \(outcome): expected logit or margin")
            }
            guard let method = RegressionMethod(rawValue: fit) else {
                throw StageError("--fit \(fit): expected ols, ridge or lasso")
            }
            guard let baselineKind = BaselineKind(rawValue: baseline) else {
                throw StageError("--baseline \(baseline): expected mean or blank")
            }
            let config = AttributionConfig(
                masks: masks, keepProbability: keepProbability, seed: seed, outcome: outcomeKind,
                fit: FitSettings(method: method, ridgeLambda: ridgeLambda, heldOutFraction: heldOut), topK: topK,
                baseline: baselineKind, referenceImages: referenceImages, knockoutWindow: knockoutWindow,
                knockoutStride: knockoutStride, knockoutTopHeadsOnly: !knockoutAllHeads, evaluate: !noEvaluate,
                knockout: !noKnockout, maxImages: maxImages, split: split)
            let stage = AttributeStage(prepared: URL(commandLinePath: prepared), output: URL(commandLinePath: output), config: config)
            _ = try stage.preflight()
            let runtime = try RuntimeLoader.load(model: model)
            let summary = try stage.run(runtime: runtime)
            print("attribute: \(summary.images.count) images, mean held-out r = \(String(format: "%.3f", summary.meanHeldOutCorrelation)), top heads \(summary.topHeads.prefix(5).map(\.description).joined(separator: " ")) -> \(output)")
        }
    }
}
