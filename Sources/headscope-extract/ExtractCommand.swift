import ArgumentParser
import Foundation
import HeadScopeActivations
import HeadScopeBLAS
import HeadScopeCore
import HeadScopeExtract
import HeadScopeQA
import HeadScopeRuntime

/// `headscope-extract`: stage 2 of the pipeline (see docs/activation-format.md).
@main
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headscope-extract",
        abstract: "Run the model on every subquestion and record every decoder head's output to HDF5 shards.",
        discussion: """
        Reads prepared/ (from headscope-prepare) and writes activations/: immutable HDF5 shards \
        under shards/, index.h5 presenting them as one dataset (h5py-readable, no plugins), and \
        manifest.json once every shard is present. Rerunning after any interruption (a kill, a \
        crash, a full disk) keeps the finished shards and redoes only the missing ones. --shard-index/--shard-count (default: \
        SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT) split the work across processes; --merge \
        rebuilds the index over the shards present and lists the missing ones.
        """,
        version: ToolVersion.string)

    @Option(help: "Pipeline config (YAML) with an `extract:` section.")
    var config: String?
    @Option(help: "The prepared/ directory to read.")
    var prepared: String?
    @Option(help: "The activations/ directory to write.")
    var output: String?
    @Option(help: "Model: `builtin`, a Hugging Face LLaVA or Qwen2-VL / Qwen2.5-VL folder, or a GGUF decoder file.")
    var model: String?
    @Option(help: "Prior context for later subquestions: none, gold or model.")
    var context: ContextPolicy?
    @Option(help: "Where z is recorded: mean, last-prompt, first-answer or all-tokens.")
    var positions: PositionPolicy?
    @Option(name: .customLong("items-per-shard"), help: "Main questions per shard (default 16).")
    var itemsPerShard: Int?
    @Flag(help: "Store z as IEEE half (float16) instead of float32.")
    var half = false
    @Option(help: "Only the first N main questions (for quick runs).")
    var limit: Int?
    @Option(name: .customLong("max-new-tokens"), help: "Cap on generated tokens per subquestion (default 128).")
    var maxNewTokens: Int?
    @Option(name: .customLong("shard-index"), help: "This process's index in 0..<shard-count (default: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, else 0).")
    var shardIndex: Int?
    @Option(name: .customLong("shard-count"), help: "Number of processes sharing the work (default: SLURM_ARRAY_TASK_COUNT, else 1).")
    var shardCount: Int?
    @Option(help: "Shards answered at once, each worker on its share of the cores (default: one per core).")
    var workers: Int?
    @Option(help: "Subquestions of one image answered together with context none or gold (default 8; 1: one at a time).")
    var batch: Int?
    @Flag(help: "Only rebuild index.h5 over the shards present and report the missing ones.")
    var merge = false

    func run() throws {
        StageMain.run {
            let config = try makeConfig()
            let store = ActivationStore(directory: config.output)
            if merge {
                let report = try store.buildIndex()
                print("index over \(report.present.count) of \(report.shardCount) shards, \(report.rows) rows"
                      + (report.missing.isEmpty ? "; complete" : "; missing shards: \(report.missing.map(String.init).joined(separator: ", "))"))
                if report.isComplete { try writeManifest(config, report: report, model: nil) }
                return
            }
            let prepared = try PreparedDataset(directory: config.prepared)
            // Only a finished prepare stage has a manifest: refuse a half-written dataset.
            _ = try Manifest.load(stageDirectory: config.prepared, expectingStage: "prepare",
                                  remedy: "re-run `make prepare`")
            // Workers split the cores; each one's matrix products run on its share.
            BLAS.threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount / config.settings.workers)
            let runtime = try RuntimeLoader.load(model: config.model)
            let model = RuntimeChainModel(runtime: runtime, maxNewTokens: config.maxNewTokens)
            let runner = ExtractRunner(prepared: prepared, model: model, store: store, settings: config.settings)
            let summary = try runner.run()
            for (function, tally) in summary.correctByFunction.sorted(by: { $0.key < $1.key }) {
                print(String(format: "  %-32@ %5d / %5d correct (%.1f%%)", function as NSString, tally.correct, tally.total,
                             100 * Double(tally.correct) / Double(max(1, tally.total))))
            }
            print("wrote \(summary.shardsWritten) shards (\(summary.rowsWritten) rows) in \(Int(summary.seconds))s; "
                  + "\(summary.index.present.count) of \(summary.index.shardCount) shards present")
            if summary.index.isComplete {
                try writeManifest(config, report: summary.index, model: runtime.identity)
            } else {
                print("missing shards: \(summary.index.missing.map(String.init).joined(separator: ", ")) (other processes, or rerun to finish)")
            }
        }
    }

    func makeConfig() throws -> ExtractConfig {
        let path = URL.init(commandLinePath:)
        var result: ExtractConfig
        if let config {
            result = try ExtractConfig.load(try ConfigFile.load(path(config), displayPath: config))
        } else {
            guard let prepared, let output else {
                throw StageError("pass --config pipelines/<name>.yaml, or --prepared <dir> and --output <dir>")
            }
            var settings = ExtractRunner.Settings()
            settings.workers = ExtractRunner.Settings.defaultWorkers
            result = ExtractConfig(prepared: path(prepared), output: path(output), model: "builtin", settings: settings)
        }
        if let prepared { result.prepared = path(prepared) }
        if let output { result.output = path(output) }
        if let model { result.model = model.hasPrefix("/") || model == "builtin" ? model : path(model).path }
        if let context { result.settings.contextPolicy = context }
        if let positions { result.settings.positions = positions }
        if let itemsPerShard {
            guard itemsPerShard > 0 else { throw StageError("--items-per-shard must be at least 1") }
            result.settings.itemsPerShard = itemsPerShard
        }
        if half { result.settings.half = true }
        if let limit { result.settings.limit = limit }
        if let workers {
            guard workers > 0 else { throw StageError("--workers must be at least 1") }
            result.settings.workers = workers
        }
        if let batch {
            guard batch > 0 else { throw StageError("--batch must be at least 1") }
            result.settings.batch = batch
        }
        if let maxNewTokens {
            guard maxNewTokens > 0 else { throw StageError("--max-new-tokens must be at least 1") }
            result.maxNewTokens = maxNewTokens
        }
        let environment = ProcessInfo.processInfo.environment
        let slurmCount = environment["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init)
        let slurmIndex = environment["SLURM_ARRAY_TASK_ID"].flatMap(Int.init).map { $0 - (environment["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0) }
        result.settings.processCount = shardCount ?? slurmCount ?? 1
        result.settings.processIndex = shardIndex ?? slurmIndex ?? 0
        return result
    }

    func writeManifest(_ config: ExtractConfig, report: ActivationStore.IndexReport, model: ModelIdentity?) throws {
        var manifest = Manifest(stage: "extract", configuration: config.json)
        manifest.inputs.append(try .stageOutput(role: "prepared", url: config.prepared))
        if let model {
            manifest.inputs.append(Manifest.Input(role: "model", path: model.id, sha256: model.sha256, bytes: 0))
        }
        manifest.counts = ["rows": report.rows, "shards": report.shardCount]
        manifest.outputs = [Manifest.Output(path: ActivationStore.indexName)]
        manifest.finishedAt = Date()
        do {
            try manifest.save(inDirectory: config.output)
        } catch {
            guard let shortage = SpaceShortage(error) else { throw error }
            throw StoreError(config.output.appendingPathComponent(Manifest.fileName).path,
                             "cannot write the manifest: \(shortage.explanation)",
                             remedy: "every shard and the index are complete and kept; \(shortage.advice(for: config.output.path)), then rerun the same command (it only writes the manifest)",
                             shortage: shortage)
        }
    }
}

extension ContextPolicy: ExpressibleByArgument {}
extension PositionPolicy: ExpressibleByArgument {}
