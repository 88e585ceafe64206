import Foundation
import HeadScopeBLAS
import HeadScopeCore

/// The probe stage end to end: read `activations/`, train every probe, select functional heads,
/// and publish `probes/` (scores.h5, functional_heads.json, figures, manifest.json) atomically.
public struct ProbeStage {
    public var activations: URL
    public var output: URL
    public var options: ProbeOptions
    /// Write the SVG heat maps and layer histograms.
    public var figures: Bool
    public var progressMode: ProgressReporter.Mode

    public init(activations: URL, output: URL, options: ProbeOptions = .init(), figures: Bool = true,
                progressMode: ProgressReporter.Mode = .automatic()) {
        self.activations = activations
        self.output = output
        self.options = options
        self.figures = figures
        self.progressMode = progressMode
    }

    /// What a run did.
    public struct Summary: Sendable {
        public var functions: [String]
        public var probes: Int
        public var fits: Int
        public var unconverged: Int
        public var topK: Int
        /// Seconds spent reading layers and training (excludes opening and writing).
        public var trainingSeconds: Double
        public var output: URL
    }

    /// Runs the stage.
    @discardableResult
    public func run() throws -> Summary {
        try options.validate()
        let store = try ActivationStoreReader(directory: activations)
        var manifest = Manifest(stage: "probe", configuration: try configuration())
        let activationsManifest = activations.appendingPathComponent(Manifest.fileName)
        if FileManager.default.fileExists(atPath: activationsManifest.path) {
            // Refuses an unfinished or foreign manifest before any work is done.
            _ = try Manifest.load(stageDirectory: activations, expectingStage: "extract")
            manifest.inputs.append(try .hashing(role: "activations-manifest", url: activationsManifest))
        } else {
            let note = "\(activations.path) has no manifest.json (not written by headscope-extract?); only index.h5 is recorded"
            Log.warning(note)
            manifest.notes.append(note)
        }
        manifest.inputs.append(try .hashing(role: "activations-index", url: store.indexURL))

        let design = try ProbeDesign(rows: store.rows, options: options, storeName: store.indexURL.path)
        for name in design.skippedFunctions {
            let note = "function `\(name)` left out: too few rows (--skip-small-functions)"
            Log.warning(note)
            manifest.notes.append(note)
        }
        let g = store.geometry
        Log.info("probing \(design.functions.count) functions x \(g.layers) layers x \(g.heads) heads "
                 + "(\(design.keptRows) rows kept, split \(design.splitSource): \(design.trainItems) train / \(design.testItems) test items)")

        let trainer = ProbeTrainer(design: design, geometry: g, options: options)
        let progress = ProgressReporter(label: "probe", total: g.layers, unit: "layers", mode: progressMode)
        let start = ProgressReporter.monotonicSeconds()
        let results = try trainer.train(source: store, progress: progress)
        let seconds = ProgressReporter.monotonicSeconds() - start
        progress.finish()
        if results.unconverged > 0 {
            let note = "\(results.unconverged) probe(s) reached --max-iterations \(options.logistic.maxIterations) before converging"
            Log.warning(note)
            manifest.notes.append(note)
        }
        let report = FunctionalHeadsReport(results: results, design: design, options: options)
        let slugs = ScoresFile.slugs(results.functions.map(\.function))

        manifest.counts = [
            "functions": design.functions.count, "layers": g.layers, "heads": g.heads, "head_dim": g.headDim,
            "probes": design.functions.count * g.layers * g.heads, "fits": results.fits,
            "unconverged": results.unconverged, "rows": store.rows.count, "kept_rows": design.keptRows,
            "train_items": design.trainItems, "test_items": design.testItems, "top_k": report.topK,
            "skipped_functions": design.skippedFunctions.count,
        ]
        manifest.notes.append("split: \(design.splitSource); training took \(String(format: "%.2f", seconds)) s "
                              + "with \(options.threads) thread(s); BLAS: \(BLAS.configuration)")

        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.removeStaleTemporaries(in: output.deletingLastPathComponent())
        try AtomicDirectory.create(at: output) { directory in
            try ScoresFile.write(to: directory.appendingPathComponent("scores.h5").path, results: results,
                                 design: design, options: options, slugs: slugs, provenance: store.provenance)
            var written = ["scores.h5", "functional_heads.json"]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity",
                                                                          negativeInfinity: "-Infinity", nan: "NaN")
            try AtomicFile.write(try encoder.encode(report), to: directory.appendingPathComponent("functional_heads.json"))
            if figures {
                let figuresDirectory = directory.appendingPathComponent("figures")
                try FileManager.default.createDirectory(at: figuresDirectory, withIntermediateDirectories: true)
                let scoreName = options.rankBy.rawValue.replacingOccurrences(of: "_", with: " ")
                for (index, set) in report.functions.enumerated() {
                    let highlighted = Set(set.top.map { $0.layer * g.heads + $0.head })
                    let map = ProbeFigures.heatMap(title: "\(set.function): \(scoreName) per head",
                                                   scoreName: scoreName, scores: results.functions[index].scores(options.rankBy),
                                                   layers: g.layers, heads: g.heads, highlighted: highlighted)
                    let histogram = ProbeFigures.layerHistogram(title: "\(set.function): top \(report.topK) heads per layer",
                                                                counts: set.layerHistogram)
                    let mapName = "figures/heatmap-\(slugs[index]).svg", histogramName = "figures/layers-\(slugs[index]).svg"
                    try AtomicFile.write(map, to: directory.appendingPathComponent(mapName))
                    try AtomicFile.write(histogram, to: directory.appendingPathComponent(histogramName))
                    written += [mapName, histogramName]
                }
            }
            manifest.outputs = try written.map { try .hashing($0, in: directory) }
            manifest.finish()
            try manifest.save(inDirectory: directory)
        }
        return Summary(functions: results.functions.map(\.function), probes: design.functions.count * g.layers * g.heads,
                       fits: results.fits, unconverged: results.unconverged, topK: report.topK,
                       trainingSeconds: seconds, output: output)
    }

    /// The effective configuration as JSON for the manifest.
    func configuration() throws -> JSONValue {
        var object = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(options))
        if case .object(var fields) = object {
            fields["activations"] = .string(activations.path)
            fields["output"] = .string(output.path)
            fields["figures"] = .bool(figures)
            object = .object(fields)
        }
        return object
    }
}
