import Foundation
import HeadScopeActivations
import HeadScopeCore
import HeadScopeQA

/// Stage 2: runs the model on every subquestion of the prepared dataset, judges the answers and
/// writes the activation store, one immutable shard per block of items.
///
/// Resumable by construction: a shard exists under its final name only once complete, so a rerun
/// skips the shards present and redoes only the missing ones, giving the same content as an
/// uninterrupted run (the model is deterministic: greedy decoding, fixed thread order). Work can
/// be split across processes (`shardIndex`/`shardCount`): process i takes the shards whose number
/// is i modulo the process count; whichever finishes last completes the index, and `merge()`
/// rebuilds it from whatever is present at any time. Within a process, `workers` answer images
/// concurrently.
public struct ExtractRunner: Sendable {
    public struct Settings: Sendable {
        public var contextPolicy: ContextPolicy = .none
        public var positions: PositionPolicy = .mean
        /// Items (main questions) per shard.
        public var itemsPerShard: Int = 16
        public var half: Bool = false
        /// This process's share of the work: shards with number % processCount == processIndex.
        public var processIndex: Int = 0
        public var processCount: Int = 1
        /// Only the first `limit` items (for quick runs); nil for all.
        public var limit: Int?
        /// Images answered at once in this process (`ExtractWork`): each worker takes the next run
        /// of chains about one image and answers it in its own session, so which worker answers
        /// an image does not matter (the BLAS thread count, which follows the worker count, can
        /// change float rounding on some CPUs). On CPUs, workers on one BLAS thread each use the cores
        /// better than one worker on all of them (a small decoder's matrix products are too small
        /// to split well across cores).
        public var workers: Int = 1
        /// Subquestions of one image answered together when the context policy does not feed the
        /// model's own answers back (`none`, `gold`: every prompt is known up front). Each decoding
        /// step then reads the weights once for the whole batch; the answers are the same.
        public var batch: Int = 8

        public init() {}

        /// One worker per core.
        public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }
    }

    public var prepared: PreparedDataset
    public var model: any ChainModel
    public var judge: NormalizedMatchJudge
    public var store: ActivationStore
    public var settings: Settings
    public var progressMode: ProgressReporter.Mode

    public init(prepared: PreparedDataset, model: any ChainModel, store: ActivationStore, settings: Settings,
                judge: NormalizedMatchJudge = NormalizedMatchJudge(), progressMode: ProgressReporter.Mode = .automatic()) {
        self.prepared = prepared
        self.model = model
        self.store = store
        self.settings = settings
        self.judge = judge
        self.progressMode = progressMode
    }

    public var attributes: StoreAttributes {
        let geometry = model.geometry
        return StoreAttributes(toolVersion: ToolVersion.string, modelID: model.identity.id, modelSHA256: model.identity.sha256,
                               layers: geometry.layers, heads: geometry.heads, headDim: geometry.headDim,
                               promptTemplate: SubquestionPrompt.templateID, contextPolicy: settings.contextPolicy.rawValue,
                               positionPolicy: settings.positions.rawValue, judge: judge.identifier, half: settings.half)
    }

    var items: ArraySlice<PreparedDataset.Item> {
        prepared.items.prefix(settings.limit ?? prepared.items.count)
    }

    public var shardCount: Int { max(1, (items.count + settings.itemsPerShard - 1) / settings.itemsPerShard) }

    /// What one run did.
    public struct Summary: Sendable {
        public var shardsWritten: Int
        public var shardsSkipped: Int
        public var rowsWritten: Int
        public var correctByFunction: [String: (correct: Int, total: Int)]
        public var index: ActivationStore.IndexReport
        public var seconds: Double
    }

    public func run() throws -> Summary {
        guard settings.itemsPerShard > 0 else { throw StageError("items per shard must be positive (got \(settings.itemsPerShard))") }
        guard settings.processCount > 0, (0..<settings.processCount).contains(settings.processIndex) else {
            throw StageError("shard index \(settings.processIndex) is outside 0..<\(settings.processCount)",
                             remedy: "pass --shard-index in 0..<--shard-count")
        }
        let start = Date()
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        _ = try? AtomicFile.removeStaleTemporaries(in: store.shardsURL)
        let count = shardCount
        let present = try store.presentShards(count: count)
        try checkExistingShards(present, count: count)
        let mine = (0..<count).filter { $0 % settings.processCount == settings.processIndex && !present.contains($0) }
        let itemsToDo = mine.reduce(0) { $0 + shardItems($1).count }
        let stepsToDo = mine.reduce(0) { total, shard in total + shardItems(shard).reduce(0) { $0 + $1.steps.count } }
        if !present.isEmpty {
            Log.info("resuming: \(present.count) of \(count) shards are complete; \(mine.count) to do here (\(itemsToDo) items)")
        }
        let progress = ProgressReporter(label: "extract", total: stepsToDo, unit: "subquestions", mode: progressMode)
        let work = ExtractWork(shards: mine.map { ($0, shardItems($0)) })
        DispatchQueue.concurrentPerform(iterations: max(1, min(settings.workers, work.runs.count))) { _ in
            while let next = work.take() {
                do {
                    // One session per run of chains about one image: its content depends on those
                    // items only (not on which worker ran it, or on what ran before a resume).
                    let run = work.runs[next]
                    let session = try model.session(image: prepared.imageURL(of: run.items[run.items.startIndex]))
                    let rows = try answerChains(run.items, in: session) { progress.advance(by: $0) }
                    guard let shardRows = work.finish(next, rows: rows) else { continue }
                    try ShardFile.write(shardRows, attributes: attributes, index: run.shard, count: count,
                                        to: store.shardURL(index: run.shard, count: count))
                    work.written(shardRows)
                } catch {
                    work.fail(error)
                }
            }
        }
        _ = progress.finish()
        if let error = work.error {
            if let error = error as? StoreError, error.shortage != nil { throw outOfSpace(error, count: count) }
            throw error
        }
        let report = try store.buildIndex()
        return Summary(shardsWritten: work.shards, shardsSkipped: present.count, rowsWritten: work.rows,
                       correctByFunction: work.tally, index: report, seconds: Date().timeIntervalSince(start))
    }

    /// A shard that could not be written for lack of space, explained with what is kept and how
    /// to go on: the finished shards stay, and the same command resumes once there is room.
    func outOfSpace(_ error: StoreError, count: Int) -> StoreError {
        let finished = (try? store.presentShards(count: count).count) ?? 0
        let kept = finished == 0 ? "no shard is finished yet"
            : finished == 1 ? "the 1 finished shard of \(count) is kept"
            : "the \(finished) finished shards of \(count) are kept"
        var explained = error
        explained.message += "; \(kept)"
        explained.remedy = "\(error.shortage?.advice(for: store.directory.path) ?? "make room"), then rerun the same command: it resumes with the \(count - finished) missing shard\(count - finished == 1 ? "" : "s")"
        return explained
    }

    /// The items of shard `index`.
    func shardItems(_ index: Int) -> ArraySlice<PreparedDataset.Item> {
        let lower = items.startIndex + index * settings.itemsPerShard
        return items[lower..<min(lower + settings.itemsPerShard, items.endIndex)]
    }

    /// Refuses to add shards to a store written by another model or with other settings.
    func checkExistingShards(_ present: Set<Int>, count: Int) throws {
        guard let any = present.min() else { return }
        let url = store.shardURL(index: any, count: count)
        let existing = try ShardReader.attributes(of: url)
        if let difference = existing.incompatibility(with: attributes) {
            throw StageError("\(url.path) was written with different settings (\(difference))",
                             remedy: "use the same model and settings to resume, or remove \(store.directory.path) to start over")
        }
    }

    /// Answers every subquestion of `items` (chains about one image), feeding context by policy;
    /// `onSteps` hears how many subquestions each answer call finished.
    ///
    /// When the policy feeds back the model's own answers, each chain goes one step at a time;
    /// otherwise every prompt is known up front and they go to the session `batch` at a time.
    func answerChains(_ items: ArraySlice<PreparedDataset.Item>, in session: any ChainSession,
                      onSteps: (Int) -> Void) throws -> [ActivationRow] {
        var rows: [ActivationRow] = []
        if settings.contextPolicy == .model || settings.batch <= 1 {
            for item in items {
                var modelAnswers: [String] = []
                for index in item.steps.indices {
                    let prompt = self.prompt(item, index, modelAnswers: modelAnswers)
                    let turn = try session.answer(prompt.text, positions: settings.positions)
                    let stepRows = self.rows(item, index, turn)
                    modelAnswers.append(stepRows.answer)
                    rows += stepRows.rows
                    onSteps(1)
                }
            }
            return rows
        }
        let steps = items.flatMap { item in item.steps.indices.map { (item: item, index: $0) } }
        for start in stride(from: 0, to: steps.count, by: settings.batch) {
            let batch = steps[start..<min(start + settings.batch, steps.count)]
            let turns = try session.answerAll(batch.map { prompt($0.item, $0.index, modelAnswers: []).text },
                                              positions: settings.positions)
            for (step, turn) in zip(batch, turns) { rows += self.rows(step.item, step.index, turn).rows }
            onSteps(batch.count)
        }
        return rows
    }

    /// The prompt of step `index` of `item` under the context policy.
    func prompt(_ item: PreparedDataset.Item, _ index: Int, modelAnswers: [String]) -> SubquestionPrompt {
        let steps = item.steps.map { (subquestion: $0.subquestion, answer: $0.answer) }
        let context = SubquestionPrompt.context(policy: settings.contextPolicy, index: index, steps: steps,
                                                modelAnswers: modelAnswers)
        return SubquestionPrompt(subquestion: item.steps[index].subquestion, mainQuestion: item.question, context: context)
    }

    /// The parsed, judged answer of step `index` of `item` and its activation rows.
    func rows(_ item: PreparedDataset.Item, _ index: Int, _ turn: AnsweredTurn) -> (answer: String, rows: [ActivationRow]) {
        let step = item.steps[index]
        let parsed = AnswerParser.parse(SubquestionPrompt.answerPrefix + turn.generated)
        let correct = judge.judge(answer: parsed.answer, reference: step.answer, options: item.options)
        let rows = turn.z.enumerated().map { tokenIndex, z in
            ActivationRow(
                itemID: item.id, step: index, function: step.function, subquestion: step.subquestion,
                referenceAnswer: step.answer, modelAnswer: parsed.answer, rawOutput: turn.generated, correct: correct,
                answerStart: turn.answerStart, answerLength: turn.answerLength,
                tokenIndex: settings.positions == .allTokens ? tokenIndex : -1,
                image: prepared.images[item.imageID] ?? "", split: item.split, z: z)
        }
        return (parsed.answer, rows)
    }
}
