import Foundation
import HeadScopeActivations
import HeadScopeCore
import HeadScopeExtract
import HeadScopeQA
import HeadScopeRuntime

/// Stage 4: ablate and steer functional heads, and walk chains with low-level heads removed
/// (METHODS 1.6-1.8), writing `interventions/`.
///
/// Every condition is an engine plan saved beside its results; a condition whose results file
/// exists is not rerun, so an interrupted run resumes where it stopped. The summary table, the
/// charts and the manifest are rebuilt from the results files at the end of every run.
public struct InterventionStage {
    public var prepared: URL
    public var probes: URL
    /// The activation store (for mean ablation and steering directions); nil when neither is used.
    public var activations: URL?
    public var output: URL
    public var runtime: any VLMRuntime
    public var settings: InterventionSettings
    public var progressMode: ProgressReporter.Mode
    /// Image sessions kept open across conditions (each image is then encoded once per run when
    /// the test split has at most this many images); 0 opens a session per item and condition.
    /// Does not change results.
    public var sessionCacheSize: Int

    public init(prepared: URL, probes: URL, activations: URL?, output: URL, runtime: any VLMRuntime,
                settings: InterventionSettings = .init(), progressMode: ProgressReporter.Mode = .automatic(),
                sessionCacheSize: Int = 64) {
        self.sessionCacheSize = sessionCacheSize
        self.prepared = prepared
        self.probes = probes
        self.activations = activations
        self.output = output
        self.runtime = runtime
        self.settings = settings
        self.progressMode = progressMode
    }

    /// What one run did.
    public struct Summary: Sendable {
        public var conditions: [InterventionCondition]
        public var conditionsRun: Int
        public var conditionsSkipped: Int
        /// Subquestions answered by the model in this run.
        public var stepsRun: Int
        public var table: SummaryTable
        public var notes: [String]
        /// Image sessions opened.
        public var sessionsOpened: Int
    }

    /// The studied inputs, loaded and checked.
    struct Inputs {
        var dataset: PreparedDataset
        var probes: ProbeResults
        var reader: ActivationReader?
        var testItems: [PreparedDataset.Item]
        var functions: [String]
        var slugs: [String: String]
        var pairs: [InterventionSettings.HierarchyPair]
        var notes: [String]
    }

    @discardableResult
    public func run() throws -> Summary {
        try settings.validate()
        var inputs = try loadInputs()
        defer { try? inputs.reader?.close() }
        let plan = try ConditionPlanner(inputs: inputs, settings: settings, runtime: runtime).plan()
        inputs.notes += plan.notes
        for note in inputs.notes { Log.warning(note) }

        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        _ = try? AtomicFile.removeStaleTemporaries(in: output)
        let store = ConditionStore(output: output)
        try FileManager.default.createDirectory(at: store.directory, withIntermediateDirectories: true)
        _ = try? AtomicFile.removeStaleTemporaries(in: store.directory)
        var manifest = Manifest(stage: "intervene", configuration: try configuration())
        manifest.inputs = try recordInputs()
        try checkFingerprint(manifest: manifest, conditions: plan.all)
        // The manifest says "finished"; it goes while conditions may change, and comes back at the end.
        try? FileManager.default.removeItem(at: output.appendingPathComponent(Manifest.fileName))

        let sessions = SessionCache(runtime: runtime, capacity: sessionCacheSize)
        let executor = ConditionExecutor(runtime: runtime, prepared: inputs.dataset, settings: settings, sessions: sessions)
        let itemsByID = Dictionary(inputs.testItems.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var results: [String: [StepRecord]] = [:]
        var ran = 0, skipped = 0, stepsRun = 0

        // Base first: every later condition is compared with it.
        let baseSteps = plan.baseSteps
        let done = plan.all.filter { store.isComplete($0.name) }.count
        if done > 0 { Log.info("resuming: \(done) of \(plan.all.count) conditions are complete") }
        let progress = ProgressReporter(label: "intervene", total: nil, unit: "subquestions", mode: progressMode)
        func execute(_ condition: InterventionCondition, _ body: () throws -> [StepRecord]) throws -> [StepRecord] {
            try store.writePlan(condition)
            if store.isComplete(condition.name) {
                skipped += 1
                return try store.read(condition.name)
            }
            let records = try body()
            try store.write(records, name: condition.name)
            ran += 1
            stepsRun += records.count
            return records
        }
        progress.set(total: store.isComplete(plan.base.name) ? 0 : baseSteps.count)
        results[plan.base.name] = try execute(plan.base) {
            try executor.runSteps(plan.base, steps: baseSteps, items: itemsByID, baseAnswers: nil) { progress.advance() }
        }
        let base = Dictionary((results[plan.base.name] ?? []).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })

        // What each per-function condition runs on: ablations on the steps the model had right,
        // steering on every test step of the function.
        func steps(for condition: InterventionCondition) -> [StepKey] {
            guard let function = condition.function else { return [] }
            let all = baseSteps.filter { base[$0]?.function == function }
            return condition.kind.isAblation ? all.filter { base[$0]?.correct == true } : all
        }
        var remaining = progress.snapshot.done
        for condition in plan.perFunction where !store.isComplete(condition.name) { remaining += steps(for: condition).count }
        for chain in plan.chains where !store.isComplete(chain.condition.name) {
            remaining += chain.items.reduce(0) { $0 + $1.through + 1 }
        }
        progress.set(total: remaining)

        for condition in plan.perFunction {
            let baseAnswers = condition.kind.isAblation ? base.mapValues(\.answer) : nil
            results[condition.name] = try execute(condition) {
                try executor.runSteps(condition, steps: steps(for: condition), items: itemsByID,
                                      baseAnswers: baseAnswers) { progress.advance() }
            }
        }
        for chain in plan.chains {
            results[chain.condition.name] = try execute(chain.condition) {
                try executor.runChains(chain.condition, items: chain.items) { progress.advance() }
            }
        }
        _ = progress.finish()

        let table = SummaryBuilder(settings: settings, plan: plan, results: results, base: base).table()
        let outputs = try writeOutputs(table: table, plan: plan, slugs: inputs.slugs)
        manifest.counts = [
            "conditions": plan.all.count, "conditions_run": ran, "conditions_skipped": skipped, "steps_run": stepsRun,
            "functions": inputs.functions.count, "test_items": inputs.testItems.count, "base_steps": baseSteps.count,
            "hierarchy_pairs": inputs.pairs.count, "table_rows": table.rows.count,
        ]
        manifest.notes = inputs.notes
        manifest.outputs = try outputs.map { try .hashing($0, in: output) }
        manifest.finish()
        try manifest.save(inDirectory: output)
        return Summary(conditions: plan.all, conditionsRun: ran, conditionsSkipped: skipped, stepsRun: stepsRun,
                       table: table, notes: inputs.notes, sessionsOpened: sessions.opened)
    }

    // MARK: Inputs

    func loadInputs() throws -> Inputs {
        var notes: [String] = []
        if FileManager.default.fileExists(atPath: prepared.appendingPathComponent(Manifest.fileName).path) {
            _ = try Manifest.load(stageDirectory: prepared, expectingStage: "prepare")
        }
        let dataset = try PreparedDataset(directory: prepared)
        if FileManager.default.fileExists(atPath: probes.appendingPathComponent(Manifest.fileName).path) {
            _ = try Manifest.load(stageDirectory: probes, expectingStage: "probe")
        }
        let probeResults = try ProbeResults(directory: probes)
        try ModelCompatibility.check(probes: probeResults, runtime: runtime)

        var reader: ActivationReader?
        if settings.needsActivations {
            guard let activations else {
                throw InterventionError("", "mean ablation and steering need the activation store",
                                        remedy: "pass --activations runs/<pipeline>/activations, or use --ablation scale with --no-steer")
            }
            if FileManager.default.fileExists(atPath: activations.appendingPathComponent(Manifest.fileName).path) {
                _ = try Manifest.load(stageDirectory: activations, expectingStage: "extract")
            }
            let opened = try ActivationReader(store: activations)
            try ModelCompatibility.check(store: opened.attributes, path: opened.url.path, runtime: runtime)
            // Directions and means from another prompt or context still run, but say so.
            if opened.attributes.promptTemplate != SubquestionPrompt.templateID {
                notes.append("the activations were recorded with prompt template \(opened.attributes.promptTemplate), this run uses \(SubquestionPrompt.templateID)")
            }
            if opened.attributes.contextPolicy != settings.context.rawValue {
                notes.append("the activations were recorded with context `\(opened.attributes.contextPolicy)`, this run uses `\(settings.context.rawValue)`")
            }
            reader = opened
        }

        let itemsURL = prepared.appendingPathComponent("items.jsonl").path
        var testItems = dataset.items.filter { $0.split == settings.testSplit }
        if let limit = settings.limit { testItems = Array(testItems.prefix(limit)) }
        guard !testItems.isEmpty else {
            let splits = Set(dataset.items.map(\.split)).sorted()
            throw InterventionError(itemsURL, "the test split `\(settings.testSplit)` is empty (\(dataset.items.count) items; splits present: \(splits.isEmpty ? "none" : splits.joined(separator: ", ")))",
                                    remedy: "pass --test-split with one of the splits present, or re-run `make prepare` with a test fraction above 0")
        }
        let testFunctions = Set(testItems.flatMap { $0.steps.map(\.function) })

        var functions: [String]
        if let requested = settings.functions {
            functions = requested
            for name in requested {
                guard probeResults.function(name) != nil else {
                    throw InterventionError(probes.path, "function `\(name)` has no probes (functions here: \(probeResults.functionNames.joined(separator: ", ")))",
                                            remedy: "check the spelling, or re-run `make probe` with the function kept")
                }
                guard testFunctions.contains(name) else {
                    throw InterventionError(itemsURL, "function `\(name)` has no subquestion in the test split `\(settings.testSplit)`",
                                            remedy: "choose other --functions or another --test-split")
                }
            }
        } else {
            functions = probeResults.functionNames.filter { testFunctions.contains($0) }
            for name in probeResults.functionNames where !testFunctions.contains(name) {
                notes.append("function `\(name)` has no test subquestion and is left out")
            }
            guard !functions.isEmpty else {
                throw InterventionError(itemsURL, "no function of the probes (\(probeResults.functionNames.joined(separator: ", "))) has a subquestion in the test split `\(settings.testSplit)`",
                                        remedy: "the probes and the prepared data do not belong together; check the pipeline's paths")
            }
        }
        for name in functions {
            guard let f = probeResults.function(name), !f.heads(settings.headSet).isEmpty else {
                let rule = settings.headSet == .top ? "top set" : "set of heads above the threshold"
                throw InterventionError(probes.appendingPathComponent("functional_heads.json").path,
                                        "function `\(name)` has no functional heads (its \(rule) is empty)",
                                        remedy: settings.headSet == .threshold ? "use --head-set top, or lower the probe stage's --threshold"
                                            : "re-run `make probe`, or leave the function out with --functions")
            }
        }
        let slugs = Slug.distinct(probeResults.functionNames + functions)
        let pairs = try HierarchyPairs.resolve(settings: settings, functions: functions, probes: probeResults,
                                               testItems: testItems, itemsPath: itemsURL)
        return Inputs(dataset: dataset, probes: probeResults, reader: reader, testItems: testItems, functions: functions,
                      slugs: slugs, pairs: pairs, notes: notes)
    }

    /// Hashes of what the results depend on (manifests and the files read).
    func recordInputs() throws -> [Manifest.Input] {
        var inputs: [Manifest.Input] = []
        func add(_ role: String, _ url: URL) throws {
            if FileManager.default.fileExists(atPath: url.path) { inputs.append(try .hashing(role: role, url: url)) }
        }
        try add("prepared-manifest", prepared.appendingPathComponent(Manifest.fileName))
        try add("prepared-items", prepared.appendingPathComponent("items.jsonl"))
        try add("probes-manifest", probes.appendingPathComponent(Manifest.fileName))
        try add("functional-heads", probes.appendingPathComponent("functional_heads.json"))
        try add("probe-scores", probes.appendingPathComponent("scores.h5"))
        if settings.needsActivations, let activations {
            try add("activations-manifest", activations.appendingPathComponent(Manifest.fileName))
            try add("activations-index", activations.appendingPathComponent(ActivationStore.indexName))
        }
        return inputs
    }

    /// The configuration recorded in the manifest: settings, paths and the model.
    func configuration() throws -> JSONValue {
        var object = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(settings))
        if case .object(var fields) = object {
            fields["prepared"] = .string(prepared.path)
            fields["probes"] = .string(probes.path)
            fields["activations"] = activations.map { .string($0.path) } ?? .null
            fields["output"] = .string(output.path)
            fields["model"] = .object(["id": .string(runtime.identity.id), "sha256": .string(runtime.identity.sha256)])
            object = .object(fields)
        }
        return object
    }

    /// Refuses to mix results of different settings, inputs or models in one output directory:
    /// `run.json` records what the first run was; a rerun must match it.
    func checkFingerprint(manifest: Manifest, conditions: [InterventionCondition]) throws {
        let fingerprint = JSONValue.object([
            "configuration": manifest.configuration,
            "inputs": .array(manifest.inputs.map { .object(["role": .string($0.role), "sha256": .string($0.sha256)]) }),
            "conditions": .array(conditions.map { .string($0.name) }),
        ])
        let url = output.appendingPathComponent("run.json")
        let data: Data = try JSONValue.encode(fingerprint as JSONValue)
        if let existing = FileManager.default.contents(atPath: url.path) {
            guard existing == data else {
                throw InterventionError(url.path, "this folder holds results of a run with other settings, inputs or model",
                                        remedy: "rerun with the same settings to resume, or remove \(output.path) (or choose another --output) to start over")
            }
            return
        }
        try AtomicFile.write(data, to: url)
    }

    // MARK: Outputs

    /// Writes the summary, the condition index and the charts; returns their relative paths.
    func writeOutputs(table: SummaryTable, plan: ConditionPlan, slugs: [String: String]) throws -> [String] {
        var written: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        try AtomicFile.write(try encoder.encode(table) + Data("\n".utf8), to: output.appendingPathComponent("summary.json"))
        try AtomicFile.write(table.markdown(), to: output.appendingPathComponent("summary.md"))
        try AtomicFile.write(try encoder.encode(ConditionIndex(plan: plan)) + Data("\n".utf8),
                             to: output.appendingPathComponent("conditions.json"))
        written += ["run.json", "summary.json", "summary.md", "conditions.json"]
        let figures = output.appendingPathComponent("figures")
        try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
        for chart in BarChart.charts(for: table, slugs: slugs) {
            try AtomicFile.write(chart.svg, to: figures.appendingPathComponent(chart.name))
            written.append("figures/\(chart.name)")
        }
        for condition in plan.all {
            written += ["conditions/\(condition.name).plan.json", "conditions/\(condition.name).jsonl"]
        }
        return written
    }
}

/// `conditions.json`: every condition with its heads and its plan file, for readers that want
/// the design without the results.
struct ConditionIndex: Encodable {
    struct Entry: Encodable {
        var name: String
        var kind: InterventionCondition.Kind
        var function: String?
        var heads: [HeadRef]
        var seed: UInt64?
        var otherFunction: String?
        var alpha: Double?
        var ranks: [Int]?
        var planFile: String
        var resultsFile: String
        enum CodingKeys: String, CodingKey {
            case name, kind, function, heads, seed, alpha, ranks
            case otherFunction = "other_function", planFile = "plan_file", resultsFile = "results_file"
        }
    }
    var conditions: [Entry]
    var hierarchy: [InterventionSettings.HierarchyPair]

    init(plan: ConditionPlan) {
        conditions = plan.all.map {
            Entry(name: $0.name, kind: $0.kind, function: $0.function, heads: $0.heads, seed: $0.seed,
                  otherFunction: $0.otherFunction, alpha: $0.alpha, ranks: $0.ranks,
                  planFile: "conditions/\($0.name).plan.json", resultsFile: "conditions/\($0.name).jsonl")
        }
        hierarchy = plan.pairs
    }
}
