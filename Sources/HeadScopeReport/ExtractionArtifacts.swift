import Foundation
import HeadScopeActivations
import HeadScopeCore

/// What the report shows of `activations/`: one judged answer per store row (not `z`).
public struct ExtractionArtifacts: Sendable {
    /// One judged subquestion.
    public struct Answer: Sendable, Equatable {
        public var itemID: String
        public var step: Int
        public var function: String
        public var reference: String
        public var modelAnswer: String
        public var correct: Bool
        public var split: String
    }

    /// One per judged subquestion, in store order (item, then step).
    public var answers: [Answer]
    public var modelID: String
    public var layers: Int
    public var heads: Int
    public var headDim: Int
    public var positionPolicy: String
    public var contextPolicy: String

    /// The answer recorded for a step of an item (the first row: `all-tokens` stores repeat it).
    public func answer(item: String, step: Int) -> Answer? {
        answers.first { $0.itemID == item && $0.step == step }
    }

    /// Loads the row tables of `activations/index.h5` through the store's reader.
    static func load(_ layout: RunLayout) throws -> StageArtifact<ExtractionArtifacts> {
        let directory = layout.activations
        let manifest: Manifest
        switch try ArtifactLoading.manifest(directory, stage: "extract", target: "extract", layout: layout) {
        case .missing(let missing): return .missing(missing)
        case .found(let found): manifest = found
        }
        let index = directory.appendingPathComponent(ActivationStore.indexName)
        let value = try ArtifactLoading.reading(index, target: "extract") { () throws -> ExtractionArtifacts in
            let reader = try ActivationReader(store: directory)
            defer { try? reader.close() }
            let items = try reader.strings("item_id"), steps = try reader.ints("step")
            let functions = try reader.strings("function"), references = try reader.strings("reference_answer")
            let answers = try reader.strings("model_answer"), correct = try reader.correct()
            let splits = (try? reader.strings("split")) ?? Array(repeating: "", count: reader.rows)
            let columns = [items.count, steps.count, functions.count, references.count, answers.count, correct.count, splits.count]
            guard columns.allSatisfy({ $0 == reader.rows }) else {
                throw ReportError(file: index.path, "row tables have \(columns) entries, the store has \(reader.rows) rows",
                                  remedy: "re-run `make extract`")
            }
            // Under the `all-tokens` policy a subquestion has one row per answer token; its answer
            // and verdict are counted once.
            var seen = Set<String>()
            var rows: [Answer] = []
            for r in 0..<reader.rows where seen.insert("\(items[r])\u{1F}\(steps[r])").inserted {
                rows.append(Answer(itemID: items[r], step: steps[r], function: functions[r], reference: references[r],
                                   modelAnswer: answers[r], correct: correct[r], split: splits[r]))
            }
            let a = reader.attributes
            return ExtractionArtifacts(answers: rows, modelID: a.modelID, layers: a.layers, heads: a.heads,
                                       headDim: a.headDim, positionPolicy: a.positionPolicy, contextPolicy: a.contextPolicy)
        }
        return .present(Loaded(value: value, manifest: manifest, directory: directory,
                               sources: [layout.display(index) + " (item_id, step, function, reference_answer, model_answer, correct, split)"]))
    }
}
