import Foundation
import HeadScopeCore

/// The question-file formats the stage reads.
public enum QuestionFormat: String, Sendable, CaseIterable {
    /// CogVision JSON records with decomposed steps (METHODS.md 1.1); also what CogShapes writes.
    case cogvision
    /// CLEVR questions with functional programs, plus a scenes file.
    case clevr
    /// A plain (image, question, answer) list, decomposed by an LLM.
    case vqa
}

/// What to do with an item whose image is missing from the input.
public enum MissingImagePolicy: String, Sendable, CaseIterable {
    case error
    case skip
}

/// What to do with an archive entry that would escape the extraction directory.
public enum HostileEntryPolicy: String, Sendable, CaseIterable {
    /// Refuse the whole archive (the default: one such entry makes the archive suspect).
    case error
    /// Leave such entries out, log and count them.
    case skip
}

/// The built-in dataset to generate before preparing.
public struct GenerateSettings: Sendable, Equatable {
    public var dataset: String
    public var seed: UInt64
    public var count: Int
    /// Where the generated archive goes.
    public var archive: URL

    public init(dataset: String, seed: UInt64, count: Int, archive: URL) {
        self.dataset = dataset
        self.seed = seed
        self.count = count
        self.archive = archive
    }
}

/// The effective configuration of one prepare run (the `prepare:` section of a pipeline, or the
/// command line), with every default filled in. Recorded in full in the manifest.
public struct PrepareConfig: Sendable {
    /// An archive (tar, tar.gz, tar.zst, zip, ...) or a folder holding images and question files.
    public var input: URL
    public var format: QuestionFormat
    /// Question file: a path inside the input, or a file path.
    public var questions: String
    /// Taxonomy file (inside the input or a file path).
    public var taxonomy: String
    /// CLEVR scenes file (inside the input or a file path).
    public var scenes: String?
    /// Optional per-image annotations (masks, objects) keyed by image path.
    public var annotations: String?
    /// CLEVR image folder inside the input; `{split}` is replaced by the question's split.
    public var imageDirectory: String
    /// The `prepared` directory to write.
    public var output: URL
    /// Fraction of images assigned to `test` when the source names no split.
    public var testFraction: Double
    public var onUnknownLabel: UnknownLabelPolicy
    public var onMissingImage: MissingImagePolicy
    /// Skip (and count) hostile archive entries instead of refusing the archive.
    public var skipHostileEntries: Bool
    public var llm: LLMEndpoint?
    public var llmCache: URL
    public var minSteps: Int
    public var maxSteps: Int
    public var generate: GenerateSettings?
    /// The directory paths in the manifest are written relative to.
    public var baseDirectory: URL

    public init(input: URL, format: QuestionFormat, questions: String, taxonomy: String, output: URL,
                scenes: String? = nil, annotations: String? = nil, imageDirectory: String = "images",
                testFraction: Double = 0.2, onUnknownLabel: UnknownLabelPolicy = .error,
                onMissingImage: MissingImagePolicy = .error, skipHostileEntries: Bool = false,
                llm: LLMEndpoint? = nil, llmCache: URL? = nil, minSteps: Int = 2, maxSteps: Int = 9,
                generate: GenerateSettings? = nil, baseDirectory: URL? = nil) {
        self.input = input
        self.format = format
        self.questions = questions
        self.taxonomy = taxonomy
        self.output = output
        self.scenes = scenes
        self.annotations = annotations
        self.imageDirectory = imageDirectory
        self.testFraction = testFraction
        self.onUnknownLabel = onUnknownLabel
        self.onMissingImage = onMissingImage
        self.skipHostileEntries = skipHostileEntries
        self.llm = llm
        self.llmCache = llmCache ?? output.deletingLastPathComponent().appendingPathComponent("llm-cache")
        self.minSteps = minSteps
        self.maxSteps = maxSteps
        self.generate = generate
        self.baseDirectory = baseDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// The keys allowed in a `prepare:` section.
    public static let keys = ["input", "format", "questions", "taxonomy", "scenes", "annotations", "image_dir",
                              "output", "split", "on_unknown_label", "on_missing_image", "on_hostile_entry",
                              "llm", "steps", "generate"]

    /// Reads the `prepare:` section of a pipeline config. The output defaults to
    /// `runs/<pipeline>/prepared` under the project directory, `<pipeline>` being the config's
    /// file name without extension.
    public static func load(_ file: ConfigFile) throws -> PrepareConfig {
        let section = try file.root.mapping("prepare")
        try section.rejectUnknownKeys(allowed: keys)
        let base = file.baseDirectory
        let pipeline = file.url.deletingPathExtension().lastPathComponent
        let output = try section.optionalPath("output")
            ?? base.appendingPathComponent("runs/\(pipeline)/prepared").standardizedFileURL

        var generate: GenerateSettings?
        if let g = try section.optionalMapping("generate") {
            try g.rejectUnknownKeys(allowed: ["dataset", "seed", "count", "archive"])
            let dataset = try g.string("dataset")
            guard dataset == "cogshapes" else {
                throw g["dataset"]?.error("unknown dataset \"\(dataset)\"; the built-in one is `cogshapes`")
                    ?? PrepareError.config(key: "prepare.generate.dataset", message: "unknown dataset")
            }
            let seed = try g.int("seed", in: 0...Int.max)
            let count = try g.int("count", in: 1...1_000_000)
            let generator = CogShapesGenerator(seed: UInt64(seed), count: count)
            let archive = try g.optionalPath("archive")
                ?? output.deletingLastPathComponent().appendingPathComponent("source/\(generator.archiveName)")
            generate = GenerateSettings(dataset: dataset, seed: UInt64(seed), count: count, archive: archive)
        }

        let input: URL
        if let generate {
            if let given = section["input"] {
                throw given.error("give either `input` or `generate`, not both")
            }
            input = generate.archive
        } else {
            input = try section.path("input")
        }
        let format = try section.enumValue("format", default: QuestionFormat.cogvision)
        let questions = try section.string("questions", default: "questions.json")
        let taxonomy = try section.string("taxonomy", default: "taxonomy.json")
        let scenes = try section.optionalString("scenes")
        if format == .clevr && scenes == nil {
            _ = try section.required("scenes", expecting: "the CLEVR scenes file")
        }
        let annotations = try section.optionalString("annotations") ?? (generate != nil ? "annotations.json" : nil)

        var testFraction = 0.2
        if let split = try section.optionalMapping("split") {
            try split.rejectUnknownKeys(allowed: ["test_fraction"])
            testFraction = try split.double("test_fraction", default: 0.2, in: 0...1)
        }
        var minSteps = 2, maxSteps = 9
        if let steps = try section.optionalMapping("steps") {
            try steps.rejectUnknownKeys(allowed: ["min", "max"])
            minSteps = try steps.int("min", default: 2, in: 1...50)
            maxSteps = try steps.int("max", default: 9, in: minSteps...50)
        }

        var llm: LLMEndpoint?
        var llmCache: URL?
        if let l = try section.optionalMapping("llm") {
            try l.rejectUnknownKeys(allowed: ["url", "model", "api_key_env", "max_attempts", "max_retries",
                                              "requests_per_minute", "backoff_seconds", "max_backoff_seconds",
                                              "timeout_seconds", "cache"])
            let urlText = try l.string("url")
            guard let url = URL(string: urlText), let scheme = url.scheme, ["http", "https"].contains(scheme) else {
                throw l["url"]?.error("expected an http(s) URL such as http://127.0.0.1:8000/v1, found \"\(urlText)\"")
                    ?? PrepareError.config(key: "prepare.llm.url", message: "not a URL")
            }
            llm = LLMEndpoint(url: url, model: try l.string("model"),
                              apiKeyEnvironmentVariable: try l.optionalString("api_key_env"),
                              maxAttempts: try l.int("max_attempts", default: 3, in: 1...20),
                              maxRetries: try l.int("max_retries", default: 5, in: 0...50),
                              requestsPerMinute: try l.optionalDouble("requests_per_minute", in: 0.001...1_000_000),
                              backoffBase: try l.double("backoff_seconds", default: 1, in: 0...600),
                              maxBackoff: try l.double("max_backoff_seconds", default: 60, in: 0...3600),
                              timeout: try l.double("timeout_seconds", default: 120, in: 0.1...3600))
            llmCache = try l.optionalPath("cache")
        }
        if format == .vqa && llm == nil {
            _ = try section.required("llm", expecting: "the LLM endpoint that decomposes plain VQA questions")
        }
        return PrepareConfig(
            input: input, format: format, questions: questions, taxonomy: taxonomy, output: output,
            scenes: scenes, annotations: annotations,
            imageDirectory: try section.string("image_dir", default: "images"), testFraction: testFraction,
            onUnknownLabel: try section.enumValue("on_unknown_label", default: UnknownLabelPolicy.error),
            onMissingImage: try section.enumValue("on_missing_image", default: MissingImagePolicy.error),
            skipHostileEntries: try section.enumValue("on_hostile_entry", default: HostileEntryPolicy.error) == .skip,
            llm: llm, llmCache: llmCache, minSteps: minSteps, maxSteps: maxSteps, generate: generate,
            baseDirectory: base)
    }

    /// A path as the manifest records it: relative to the project directory when inside it.
    func recorded(_ url: URL) -> String {
        let base = baseDirectory.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        if path.hasPrefix(base + "/") { return String(path.dropFirst(base.count + 1)) }
        return path
    }

    /// The configuration as recorded in the manifest (machine-specific paths made relative).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "input": .string(recorded(input)),
            "format": .string(format.rawValue),
            "questions": .string(questions),
            "taxonomy": .string(taxonomy),
            "image_dir": .string(imageDirectory),
            "output": .string(recorded(output)),
            "split": .object(["test_fraction": .double(testFraction)]),
            "on_unknown_label": .string(onUnknownLabel.rawValue),
            "on_missing_image": .string(onMissingImage.rawValue),
            "on_hostile_entry": .string(skipHostileEntries ? "skip" : "error"),
            "steps": .object(["min": .int(minSteps), "max": .int(maxSteps)]),
        ]
        if let scenes { object["scenes"] = .string(scenes) }
        if let annotations { object["annotations"] = .string(annotations) }
        if let llm {
            var l: [String: JSONValue] = [
                "url": .string(llm.url.absoluteString), "model": .string(llm.model),
                "max_attempts": .int(llm.maxAttempts), "max_retries": .int(llm.maxRetries),
                "backoff_seconds": .double(llm.backoffBase), "max_backoff_seconds": .double(llm.maxBackoff),
                "timeout_seconds": .double(llm.timeout), "cache": .string(recorded(llmCache)),
                "prompt_version": .string(DecompositionPrompt.version),
            ]
            if let key = llm.apiKeyEnvironmentVariable { l["api_key_env"] = .string(key) }
            if let rpm = llm.requestsPerMinute { l["requests_per_minute"] = .double(rpm) }
            object["llm"] = .object(l)
        }
        if let generate {
            object["generate"] = .object(["dataset": .string(generate.dataset), "seed": .int(Int(generate.seed)),
                                          "count": .int(generate.count), "archive": .string(recorded(generate.archive))])
        }
        return .object(object)
    }
}
