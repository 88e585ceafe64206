import Foundation
import HeadScopeCore

/// Counts over the prepared dataset.
public struct DatasetStatistics: Sendable {
    /// Subquestions per function label (taxonomy order, zeros included).
    public var labelCounts: [(label: String, count: Int)]
    /// Main questions per kind: the `task` tag when items carry one, else open or multiple choice.
    public var kinds: [(kind: String, count: Int)]
    /// Main questions and subquestions per split.
    public var splits: [(split: String, items: Int, steps: Int)]
    public var items: Int
    public var steps: Int

    public init(_ dataset: DatasetArtifacts) {
        var labels: [String: Int] = [:], kinds: [String: Int] = [:]
        var splitItems: [String: Int] = [:], splitSteps: [String: Int] = [:]
        for item in dataset.items {
            let kind = item.tags?["task"] ?? (item.options.isEmpty ? "open" : "multiple choice")
            kinds[kind, default: 0] += 1
            splitItems[item.split, default: 0] += 1
            splitSteps[item.split, default: 0] += item.steps.count
            for step in item.steps { labels[step.function, default: 0] += 1 }
        }
        labelCounts = dataset.labels.map { ($0, labels[$0] ?? 0) }
        self.kinds = kinds.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
        splits = splitItems.keys.sorted().map { ($0, splitItems[$0] ?? 0, splitSteps[$0] ?? 0) }
        items = dataset.items.count
        steps = dataset.items.reduce(0) { $0 + $1.steps.count }
    }
}

/// The model's judged accuracy per function label, from the extraction's rows.
public struct AccuracyStatistics: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var label: String
        public var correct: Int
        public var total: Int
        /// correct / total, nil when the label has no rows.
        public var accuracy: Double? { total > 0 ? Double(correct) / Double(total) : nil }
    }

    /// One line per label.
    public var lines: [Line]
    /// All labels together.
    public var overall: Line

    /// Per label in `labels` order, then any label only the store has.
    public init(_ extraction: ExtractionArtifacts, labels: [String]) {
        var order = labels
        for answer in extraction.answers where !order.contains(answer.function) { order.append(answer.function) }
        var correct: [String: Int] = [:], total: [String: Int] = [:]
        for answer in extraction.answers {
            total[answer.function, default: 0] += 1
            if answer.correct { correct[answer.function, default: 0] += 1 }
        }
        lines = order.map { Line(label: $0, correct: correct[$0] ?? 0, total: total[$0] ?? 0) }
        overall = Line(label: "all", correct: extraction.answers.filter(\.correct).count, total: extraction.answers.count)
    }
}

/// Per-function summaries of the probe scores and functional heads.
public struct ProbeStatistics: Sendable {
    public struct Line: Sendable {
        public var function: String
        /// Size of the top set (the functional heads).
        public var functionalHeads: Int
        /// Heads scoring above the probe threshold.
        public var aboveThreshold: Int
        public var minScore: Double
        public var maxScore: Double
        public var meanScore: Double
        /// The best head by the ranking score: (layer, head, score).
        public var best: (layer: Int, head: Int, score: Double)?
        public var trainRows: Int
        public var testRows: Int
    }

    /// One line per function, in `functional_heads.json` order.
    public var lines: [Line]
    /// Heads shared by the top sets of two functions (`functions` order); the diagonal is the set size.
    public var shared: [[Int]]
    public var functions: [String]

    public init(_ probes: ProbeArtifacts) {
        functions = probes.functions
        lines = probes.heads.functions.map { set in
            let grid = probes.scores[set.function] ?? []
            let finite = grid.filter(\.isFinite)
            let bestIndex = grid.indices.filter { grid[$0].isFinite }.max { grid[$0] < grid[$1] || (grid[$0] == grid[$1] && $0 > $1) }
            let heads = max(probes.heads.numHeads, 1)
            return Line(function: set.function, functionalHeads: set.top.count, aboveThreshold: set.aboveThreshold.count,
                        minScore: finite.min() ?? .nan, maxScore: finite.max() ?? .nan,
                        meanScore: finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count),
                        best: bestIndex.map { ($0 / heads, $0 % heads, grid[$0]) },
                        trainRows: set.trainRows, testRows: set.testRows)
        }
        let sets = probes.heads.functions.map { Set($0.top.map { $0.layer * 100_000 + $0.head }) }
        shared = sets.map { a in sets.map { b in a.intersection(b).count } }
    }
}

/// Whether the inputs each stage recorded are the artifacts of this run: an upstream stage's
/// manifest (by its hash, or the hash recorded for a stage directory) and the files it read.
public struct ChainCheck: Sendable, Equatable {
    public struct Link: Sendable, Equatable {
        /// The stage whose manifest records the input.
        public var stage: String
        public var role: String
        /// The input as it is found in this run, relative to the run directory.
        public var path: String
        public var recorded: String
        /// The SHA-256 found in this run, nil when the file is absent.
        public var found: String?
        public var matches: Bool { recorded == found }
    }

    /// One link per recorded input found in the run's stage directories.
    public var links: [Link]

    /// Every recorded input that lives in one of this run's stage directories, compared with the
    /// file there now (inputs outside the run, such as the model or the source archive, are not
    /// checked here: the stages check those themselves).
    public init(_ artifacts: RunArtifacts) {
        self.init(layout: artifacts.layout, stages: artifacts.stages)
    }

    /// The check over explicit stages (name, directory, manifest or nil when missing).
    public init(layout: RunLayout, stages: [(stage: String, directory: URL, manifest: Manifest?)]) {
        let stageDirectories = Set(stages.map { $0.directory.lastPathComponent })
        var links: [Link] = []
        for (stage, _, manifest) in stages {
            for input in manifest?.inputs ?? [] {
                let components = URL(fileURLWithPath: input.path).standardizedFileURL.pathComponents
                if let recorded = input.manifestSHA256, let last = components.last, stageDirectories.contains(last) {
                    let url = layout.run.appendingPathComponent(last).appendingPathComponent(Manifest.fileName)
                    links.append(Link(stage: stage, role: input.role, path: layout.display(url), recorded: recorded,
                                      found: try? ContentHash.file(at: url)))
                } else if components.count >= 2, stageDirectories.contains(components[components.count - 2]) {
                    let url = layout.run.appendingPathComponent(components[components.count - 2])
                        .appendingPathComponent(components[components.count - 1])
                    links.append(Link(stage: stage, role: input.role, path: layout.display(url), recorded: input.sha256,
                                      found: try? ContentHash.file(at: url)))
                }
            }
        }
        self.links = links
    }

    /// True when every link matches.
    public var isConsistent: Bool { links.allSatisfy(\.matches) }
}
