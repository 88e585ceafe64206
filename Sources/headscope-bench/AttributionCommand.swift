import ArgumentParser
import Foundation
import HeadScopeAttribute
import HeadScopeBLAS
import HeadScopeCore
import HeadScopeRuntime

/// `headscope-bench attribution`: keep-mask runs per second of the attribution stage's image-flow
/// ablation on one image (`AttributionBench`), next to which `scripts/bench/attribution_reference.py`
/// times the same runs in transformers (`scripts/bench/attribution.sh`).
///
/// The image, question and answer are those `headscope-attribute` would take first from
/// `--prepared` (its first main-object item), unless `--image`, `--question` and `--answer` name
/// them. The baseline is the stage's `--baseline blank`: a mid-gray image of the image's size.
struct AttributionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribution",
        abstract: "Keep-mask runs/s of the image-flow ablation on one image (baseline K/V at image positions, last-position logits).")

    @Option(help: "`builtin` or a LLaVA / Qwen2-VL / Qwen2.5-VL checkpoint folder.") var model = "builtin"
    @Option(help: "A prepared/ directory; its first main-object item gives the image, question and answer.")
    var prepared = ".cache/bench/cogshapes/prepared"
    @Option(help: "The image (instead of --prepared's; needs --question and --answer).") var image: String?
    @Option(help: "The user text asked about --image.") var question: String?
    @Option(help: "The answer whose first token's logit each run records.") var answer: String?
    @Option(help: "Keep-mask runs per repeat.") var runs = 20
    @Option(help: "Timed repeats of the same runs (the median rate is reported).") var repeats = 3
    @Option(name: .customLong("keep-prob"), help: "Probability that a head keeps image access.") var keepProbability = 0.9
    @Option(help: "Seed of the keep-masks (stream \"\(AttributionBench.maskStream)\").") var seed: UInt64 = 42
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Option(help: "A name for the report.") var name: String?

    func validate() throws {
        guard runs > 0, repeats > 0, threads > 0 else { throw ValidationError("--runs, --repeats and --threads must be positive") }
        guard keepProbability > 0, keepProbability < 1 else { throw ValidationError("--keep-prob must be in (0, 1)") }
        if image != nil, question == nil || answer == nil {
            throw ValidationError("--image needs --question and --answer (the target token comes from the answer)")
        }
    }

    /// Image, question and answer: from the options or from --prepared's first main-object item.
    func selectTask() throws -> (image: URL, question: String, answer: String) {
        if let image, let question, let answer { return (URL(commandLinePath: image), question, answer) }
        let directory = URL(commandLinePath: prepared)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("items.jsonl").path) else {
            throw ValidationError("""
                no image: \(prepared)/items.jsonl is missing. Pass --image, --question and --answer, or generate \
                CogShapes scenes: headscope-prepare --generate cogshapes --count 4 --output \(prepared)
                """)
        }
        guard let task = try AttributionTask.select(preparedDirectory: directory).first else {
            throw ValidationError("\(prepared) has no main-object item (tags task=main_object) and no single-word answer")
        }
        return (task.image, task.question, task.answer)
    }

    func run() throws {
        BLAS.threadCount = threads
        let task = try selectTask()
        var loaded: (any VLMRuntime)?
        let loadSeconds = try seconds { loaded = try RuntimeLoader.load(model: model) }
        guard let runtime = loaded else { return }
        guard let target = runtime.encodeContinuation(task.answer).first else {
            throw ValidationError("the answer \"\(task.answer)\" encodes to no tokens")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("headscope-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let blank = try AttributeStage.blankImage(like: task.image, in: scratch)

        var result: AttributionBench.Result?
        let totalSeconds = try seconds {
            result = try AttributionBench.modelRunsPerSecond(runtime: runtime, image: task.image, userText: task.question,
                                                             target: target, baselineImages: [blank], runs: runs,
                                                             repeats: repeats, keepProbability: keepProbability, seed: seed)
        }
        guard let r = result else { return }
        printJSON([("impl", "headscope"), ("name", name ?? runtime.identity.id), ("threads", threads),
                   ("image", task.image.path), ("question", task.question), ("answer", task.answer),
                   ("target_token", r.targetToken), ("keep_prob", keepProbability), ("seed", Int(seed)),
                   ("runs_per_s", r.modelRunsPerSecond), ("best_runs_per_s", r.bestRunsPerSecond),
                   ("runs", r.runs), ("repeats", r.repeats), ("heads", r.heads), ("wall_s", r.wallSeconds),
                   ("repeat_s", r.repeatSeconds), ("load_s", loadSeconds), ("setup_s", totalSeconds - r.wallSeconds),
                   ("prompt_tokens", r.promptTokens), ("image_tokens", r.imageTokens),
                   ("first_image_position", r.firstImagePosition), ("prompt_sha256", r.promptSHA256),
                   ("kept_heads", r.keptHeads), ("full_logit", Double(r.fullLogit)),
                   ("target_logits", r.targetLogits.map(Double.init))])
    }
}
