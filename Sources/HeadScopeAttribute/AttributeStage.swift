import Foundation
import HeadScopeCore
import HeadScopeEngine
import HeadScopeExtract
import HeadScopeHDF5
import HeadScopeImageIO
import HeadScopeRuntime

/// Stage 5: head attribution of image-to-text flow over a prepared dataset (METHODS section 2).
///
/// Per image (resumable: `runs/<image id>.h5` and `results/<image id>.json` are written
/// atomically and reused while their fingerprints match): keep-mask runs, fits, evaluation curves,
/// attention knockout. Then the summaries over images, plots and the manifest.
public struct AttributeStage {
    public var prepared: URL
    public var output: URL
    public var config: AttributionConfig
    public var progressMode: ProgressReporter.Mode

    public init(prepared: URL, output: URL, config: AttributionConfig, progressMode: ProgressReporter.Mode = .automatic()) {
        self.prepared = prepared
        self.output = output
        self.config = config
        self.progressMode = progressMode
    }

    /// What a finished run wrote.
    public struct Summary: Codable, Sendable {
        public var model: ModelIdentity
        public var grid: HeadGrid
        public var outcome: OutcomeKind
        public var baseline: BaselineKind
        public var baselineImages: [String]
        public var images: [ImageSummary]
        public var meanAttribution: [Double]
        public var meanHeldOutCorrelation: Double
        public var topHeads: [HeadID]
        public var curves: [MeanCurve]
        public var flows: [MeanFlow]
        public var grouping: GroupingOverlap
        public var attributionByClass: [String: [Double]]
        public var attributionByColor: [String: [Double]]
        public var modelRuns: Int

        enum CodingKeys: String, CodingKey {
            case model, grid, outcome, baseline, baselineImages = "baseline_images", images
            case meanAttribution = "mean_attribution", meanHeldOutCorrelation = "mean_held_out_correlation"
            case topHeads = "top_heads", curves, flows, grouping, attributionByClass = "attribution_by_class"
            case attributionByColor = "attribution_by_color", modelRuns = "model_runs"
        }
    }

    /// One image's line in the summary.
    public struct ImageSummary: Codable, Sendable {
        public var imageID: String
        public var answer: String
        public var tags: [String: String]
        public var heldOutCorrelation: Double
        public var fullMargin: Float
        public var topHeads: [HeadID]
        enum CodingKeys: String, CodingKey {
            case imageID = "image_id", answer, tags, heldOutCorrelation = "held_out_correlation", fullMargin = "full_margin", topHeads = "top_heads"
        }
    }

    /// Checks the settings and the prepared input and returns the task set, without a model
    /// (so a bad input fails before an expensive model load).
    public func preflight() throws -> [AttributionTask] {
        try config.validate()
        _ = try Manifest.load(stageDirectory: prepared, expectingStage: "prepare")
        let dataset = try PreparedDataset(directory: prepared)
        let tasks = try AttributionTask.select(from: dataset, split: config.split, limit: config.maxImages)
        guard !tasks.isEmpty else {
            throw AttributionError("\(prepared.path): no main-object items (tags task=main_object) and no single-word answers\(config.split.map { " in split \($0)" } ?? "")",
                                   remedy: "prepare a dataset with main-object items, e.g. `headscope-prepare --generate cogshapes`")
        }
        return tasks
    }

    @discardableResult
    public func run(runtime: any VLMRuntime) throws -> Summary {
        let tasks = try preflight()
        var manifest = Manifest(stage: "attribute", configuration: try JSONDecoder().decode(JSONValue.self, from: JSONValue.encode(config)))
        let fm = FileManager.default
        for dir in ["runs", "results", ".work"] {
            try fm.createDirectory(at: output.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        // A manifest from an earlier run would make a half-updated directory look complete.
        let oldManifest = output.appendingPathComponent(Manifest.fileName)
        if fm.fileExists(atPath: oldManifest.path) { try fm.removeItem(at: oldManifest) }
        for dir in [output, output.appendingPathComponent("runs"), output.appendingPathComponent("results")] {
            _ = try? AtomicFile.removeStaleTemporaries(in: dir)
        }
        let grid = HeadGrid(layers: runtime.geometry.layers, heads: runtime.geometry.heads)
        let model = runtime.identity

        // Baseline keys/values at the image positions.
        let baselineImages: [URL]
        switch config.baseline {
        case .mean: baselineImages = tasks.prefix(config.referenceImages).map(\.image)
        case .blank: baselineImages = [try Self.blankImage(like: tasks[0].image, in: output.appendingPathComponent(".work"))]
        }
        let baseline = try BaselineKV.capture(runtime: runtime, images: baselineImages, userText: tasks[0].question,
                                              assistantPrefix: config.assistantPrefix)

        let perImage = Self.runsPerImage(config: config, grid: grid)
        let progress = ProgressReporter(label: "attribute", total: perImage * tasks.count, unit: "runs", mode: progressMode)
        var results: [ImageResult] = []
        var allRuns: [ImageRuns] = []
        var modelRuns = baselineImages.count
        for task in tasks {
            let resultURL = output.appendingPathComponent("results/\(task.imageID).json")
            let runsURL = output.appendingPathComponent("runs/\(task.imageID).h5")
            let ids = runtime.encodeContinuation(task.answer)
            guard let target = ids.first else {
                throw AttributionError("item \(task.itemID): the answer \"\(task.answer)\" encodes to no tokens")
            }
            let runsPrint = try Self.runsFingerprint(model: model, config: config, task: task, target: target,
                                                     baselineImages: baselineImages.map(\.lastPathComponent))
            let resultPrint = try ContentHash.sha256(runsPrint + String(decoding: try JSONValue.encodeCompact(config), as: UTF8.self))
            if let data = fm.contents(atPath: resultURL.path),
               let cached = try? Self.resultDecoder.decode(ImageResult.self, from: data), cached.fingerprint == resultPrint,
               let runs = try? RunsFile.load(from: runsURL), runs.fingerprint == runsPrint {
                results.append(cached)
                allRuns.append(runs)
                progress.advance(by: perImage)
                continue
            }
            let session = try runtime.session(image: task.image)
            var attributor = try ImageAttributor(session: session, userText: task.question, config: config,
                                                 baseline: baseline, target: target, imageID: task.imageID)
            var count = 0
            attributor.onRun = { count += 1; progress.advance() }
            let runs: ImageRuns
            if let cached = try? RunsFile.load(from: runsURL), cached.fingerprint == runsPrint, cached.grid == grid,
               cached.count == config.masks {
                runs = cached
                progress.advance(by: config.masks + 2)
            } else {
                runs = try attributor.sampleRuns(imageID: task.imageID, itemID: task.itemID, fingerprint: runsPrint)
                try RunsFile.save(runs, to: runsURL)
            }
            let result = try Self.analyse(task: task, runs: runs, attributor: attributor, config: config,
                                          fingerprint: resultPrint)
            try AtomicFile.write(try Self.resultEncoder.encode(result), to: resultURL)
            modelRuns += count
            results.append(result)
            allRuns.append(runs)
        }
        _ = progress.finish()

        let summary = try writeSummaries(results: results, runs: allRuns, grid: grid, model: model,
                                         baselineImages: baselineImages.map(\.lastPathComponent), modelRuns: modelRuns)
        manifest.inputs.append(try Manifest.Input.stageOutput(role: "prepared", url: prepared, expectingStage: "prepare"))
        manifest.inputs.append(Manifest.Input(role: "model", path: model.id, sha256: model.sha256, bytes: 0))
        manifest.counts = ["images": results.count, "masks_per_image": config.masks, "model_runs_this_invocation": modelRuns,
                           "heads": grid.count]
        let groupPlots = summary.attributionByClass.keys.map { Self.groupPlotName("class", $0) }
            + summary.attributionByColor.keys.map { Self.groupPlotName("color", $0) }
        for name in ["runs.h5", "attributions.h5", "summary.json", "heatmap.svg", "curves.svg", "flow.svg"] + groupPlots.sorted() {
            manifest.outputs.append(try Manifest.Output.hashing(name, in: output))
        }
        manifest.finish()
        try manifest.save(inDirectory: output)
        try? fm.removeItem(at: output.appendingPathComponent(".work"))
        return summary
    }

    /// Fits both outcomes and, as configured, evaluates rankings and runs the knockout.
    static func analyse(task: AttributionTask, runs: ImageRuns, attributor: ImageAttributor, config: AttributionConfig,
                        fingerprint: String) throws -> ImageResult {
        let grid = runs.grid
        let logitFit = try AttributionFitter.fit(masks: runs.masks, heads: grid.count, outcomes: runs.logits, settings: config.fit)
        let marginFit = try AttributionFitter.fit(masks: runs.masks, heads: grid.count, outcomes: runs.margins, settings: config.fit)
        let chosen = config.outcome == .logit ? logitFit : marginFit
        let ranking = chosen.ranking(grid: grid)
        let top = Array(ranking.prefix(config.topSize(grid)))
        var single: [Double] = [], attention: [Double] = [], curves: [RankingCurves] = [], knockout: [KnockoutResult] = []
        var objectTokens = 0, backgroundTokens = 0
        if config.evaluate {
            single = try attributor.singleHeadEffects(full: runs.full)
            attention = try attributor.attentionScores()
            let sizes = config.sizes(grid)
            curves.append(try attributor.curves(name: "regression", ranking: ranking, sizes: sizes, full: runs.full, empty: runs.empty))
            curves.append(try attributor.curves(name: "single_head", ranking: HeadRanking.order(scores: single, grid: grid),
                                                sizes: sizes, full: runs.full, empty: runs.empty))
            curves.append(try attributor.curves(name: "attention", ranking: HeadRanking.order(scores: attention, grid: grid),
                                                sizes: sizes, full: runs.full, empty: runs.empty))
        }
        if config.knockout {
            var cells: [CellKind]? = nil
            if let mask = task.mask {
                let image = try RasterImage(contentsOf: mask)
                cells = try MaskGrid.cells(mask: image, objectLabel: 1, rows: attributor.layout.imageGrid.rows,
                                           columns: attributor.layout.imageGrid.columns, objectThreshold: config.objectThreshold)
            }
            let groups = try TokenGroups(layout: attributor.layout, cells: cells)
            objectTokens = groups.object.count
            backgroundTokens = groups.background.count
            knockout = try attributor.knockout(groups: groups, topHeads: top, full: runs.full)
        }
        return ImageResult(imageID: task.imageID, itemID: task.itemID, answer: task.answer, tags: task.tags,
                           targetToken: runs.targetToken, full: runs.full, empty: runs.empty, logitFit: logitFit,
                           marginFit: marginFit, outcome: config.outcome, topHeads: top, singleHeadEffects: single,
                           attentionScores: attention, curves: curves, knockout: knockout, objectTokens: objectTokens,
                           backgroundTokens: backgroundTokens, fingerprint: fingerprint)
    }

    /// Model runs one image costs under `config` (for progress totals; knockout counted in full).
    public static func runsPerImage(config: AttributionConfig, grid: HeadGrid) -> Int {
        var n = config.masks + 2
        if config.evaluate { n += grid.count + 1 + 3 * 2 * max(0, config.sizes(grid).filter { $0 > 0 && $0 < grid.count }.count) }
        if config.knockout {
            n += AttentionKnockout.windows(layers: grid.layers, width: config.knockoutWindow, stride: config.knockoutStride).count
                * config.knockoutEdges.count
        }
        return n
    }

    static func runsFingerprint(model: ModelIdentity, config: AttributionConfig, task: AttributionTask, target: Int,
                                baselineImages: [String]) throws -> String {
        let parts = ["model=\(model.id)@\(model.sha256)", "masks=\(config.masks)", "p=\(config.keepProbability)",
                     "seed=\(config.seed)", "baseline=\(config.baseline.rawValue):\(baselineImages.joined(separator: ","))",
                     "target=\(target)", "question=\(task.question)", "prefix=\(config.assistantPrefix)"]
        return try ContentHash.sha256(parts.joined(separator: "\n"))
    }

    /// JSON coding of results: sorted keys; non-finite numbers (a margin with a one-token
    /// vocabulary, a curve with no usable image) as the strings "inf", "-inf", "nan".
    static var resultEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var resultDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// File name of a per-class or per-colour heat map (characters outside [A-Za-z0-9._-] become _).
    static func groupPlotName(_ key: String, _ value: String) -> String {
        let safe = String(value.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        return "heatmap-\(key)-\(safe).svg"
    }

    /// A uniform mid-gray PNG of the size of `image`, written into `directory` (the `blank`
    /// baseline's image; also used by `headscope-bench attribution`).
    public static func blankImage(like image: URL, in directory: URL) throws -> URL {
        let source = try RasterImage(contentsOf: image)
        let blank = try RasterImage(width: source.width, height: source.height, format: .rgb, filledWith: [128, 128, 128])
        let url = directory.appendingPathComponent("blank-\(source.width)x\(source.height).png")
        try AtomicFile.write(try blank.pngData(), to: url)
        return url
    }

    func writeSummaries(results: [ImageResult], runs: [ImageRuns], grid: HeadGrid, model: ModelIdentity,
                        baselineImages: [String], modelRuns: Int) throws -> Summary {
        try RunsFile.saveCombined(runs, to: output.appendingPathComponent("runs.h5"))
        let mean = Aggregation.meanAttribution(results)
        let summary = Summary(
            model: model, grid: grid, outcome: config.outcome, baseline: config.baseline, baselineImages: baselineImages,
            images: results.map { ImageSummary(imageID: $0.imageID, answer: $0.answer, tags: $0.tags,
                                               heldOutCorrelation: $0.attribution.heldOutCorrelation,
                                               fullMargin: $0.full.margin, topHeads: $0.topHeads) },
            meanAttribution: mean,
            meanHeldOutCorrelation: results.map(\.attribution.heldOutCorrelation).reduce(0, +) / Double(max(results.count, 1)),
            topHeads: Array(HeadRanking.order(scores: mean, grid: grid).prefix(config.topSize(grid))),
            curves: Aggregation.curves(results, outcome: config.outcome),
            flows: Aggregation.flows(results, edges: config.knockoutEdges),
            grouping: Aggregation.grouping(results),
            attributionByClass: Aggregation.meanAttribution(results, byTag: "class"),
            attributionByColor: Aggregation.meanAttribution(results, byTag: "color"),
            modelRuns: modelRuns)
        try AttributionsFile.save(results: results, grid: grid, model: model, outcome: config.outcome,
                                  to: output.appendingPathComponent("attributions.h5"))
        let encoder = Self.resultEncoder
        encoder.outputFormatting.insert(.prettyPrinted)
        try AtomicFile.write(try encoder.encode(summary), to: output.appendingPathComponent("summary.json"))
        try AtomicFile.write(SVGPlots.heatMap(values: mean, grid: grid, title: "Mean head attribution (\(config.outcome.rawValue)), \(results.count) images"),
                             to: output.appendingPathComponent("heatmap.svg"))
        for (key, maps) in [("class", summary.attributionByClass), ("color", summary.attributionByColor)] {
            for (name, values) in maps {
                try AtomicFile.write(SVGPlots.heatMap(values: values, grid: grid, title: "Mean head attribution, \(key) \(name)"),
                                     to: output.appendingPathComponent(Self.groupPlotName(key, name)))
            }
        }
        let curveSeries = summary.curves.map {
            SVGPlots.Series(name: "\($0.ranking) \($0.kind == "faithfulness" ? "faith." : "compl.")",
                            x: $0.sizes.map(Double.init), y: $0.normalised, dashed: $0.kind == "completeness")
        }
        try AtomicFile.write(SVGPlots.lineChart(series: curveSeries, title: "Faithfulness (solid) and completeness (dashed)",
                                                xLabel: "top-n heads", yLabel: "normalised \(config.outcome.rawValue)"),
                             to: output.appendingPathComponent("curves.svg"))
        let flowSeries = summary.flows.map {
            SVGPlots.Series(name: $0.edge.description, x: $0.layerStarts.map(Double.init), y: $0.meanLogitDrop,
                            dashed: $0.edge.to != .final)
        }
        try AtomicFile.write(SVGPlots.lineChart(series: flowSeries, title: "Attention knockout in the top heads (window \(config.knockoutWindow))",
                                                xLabel: "first layer of the window", yLabel: "answer logit drop"),
                             to: output.appendingPathComponent("flow.svg"))
        return summary
    }
}

/// `attributions.h5`: fitted attributions of every image, both outcomes.
public enum AttributionsFile {
    public static func save(results: [ImageResult], grid: HeadGrid, model: ModelIdentity, outcome: OutcomeKind, to url: URL) throws {
        try AtomicFile.write(try HDF5File.buildImage(name: url.path) { file in
            let n = results.count
            try file.attributes.write("schema_version", Int64(1))
            try file.attributes.write("model_id", model.id)
            try file.attributes.write("model_sha256", model.sha256)
            try file.attributes.write("layers", Int64(grid.layers))
            try file.attributes.write("heads", Int64(grid.heads))
            try file.attributes.write("outcome", outcome.rawValue)
            try file.root.createDataset("image_id", strings: results.map(\.imageID))
            for (name, fits) in [("logit", results.map(\.logitFit)), ("margin", results.map(\.marginFit))] {
                try file.root.createDataset("\(name)/coefficients", values: fits.flatMap(\.fit.coefficients), shape: [n, grid.layers, grid.heads])
                try file.root.createDataset("\(name)/intercept", values: fits.map(\.fit.intercept), shape: [n])
                try file.root.createDataset("\(name)/lambda", values: fits.map(\.fit.lambda), shape: [n])
                try file.root.createDataset("\(name)/held_out_correlation", values: fits.map(\.heldOutCorrelation), shape: [n])
            }
            try file.root.createDataset("mean", values: Aggregation.meanAttribution(results), shape: [grid.layers, grid.heads])
        }, to: url)
    }
}
