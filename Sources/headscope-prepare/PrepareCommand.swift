import ArgumentParser
import Foundation
import HeadScopeCore
import HeadScopePrepare

/// `headscope-prepare`: stage 1 of the pipeline (see docs/prepared-format.md).
@main
struct PrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headscope-prepare",
        abstract: "Prepare images and questions, decomposed into labelled subquestion chains, as prepared/.",
        discussion: """
        Reads an archive (tar, tar.gz, tar.zst, zip) or a folder of images plus a question file, \
        named by the `prepare:` section of a pipeline config or by the options below, and writes \
        items.jsonl, images.jsonl, taxonomy.json, images/, masks/ and manifest.json. \
        `--generate cogshapes --seed N --count N` first builds the built-in dataset as a tar.gz \
        and prepares that. An interrupted run resumes where it stopped.
        """,
        version: ToolVersion.string)

    @Option(name: .long, help: "Pipeline config (YAML) with a `prepare:` section.")
    var config: String?

    @Option(name: .long, help: "Archive or folder holding images and question files.")
    var input: String?

    @Option(name: .long, help: "Question format: cogvision, clevr or vqa.")
    var format: String = "cogvision"

    @Option(name: .long, help: "Question file (inside the input, or a path).")
    var questions: String = "questions.json"

    @Option(name: .long, help: "Taxonomy file (inside the input, or a path).")
    var taxonomy: String = "taxonomy.json"

    @Option(name: .long, help: "CLEVR scenes file (inside the input, or a path).")
    var scenes: String?

    @Option(name: .long, help: "Per-image annotations (masks, objects) keyed by image path.")
    var annotations: String?

    @Option(name: .customLong("image-dir"), help: "CLEVR image folder inside the input ({split} is replaced).")
    var imageDirectory: String = "images"

    @Option(name: .long, help: "The prepared/ directory to write (overrides the config's).")
    var output: String?

    @Option(name: .customLong("test-fraction"), help: "Share of images put in the test split when the source names none.")
    var testFraction: Double = 0.2

    @Option(name: .customLong("on-unknown-label"), help: "error (default) or skip.")
    var onUnknownLabel: String = "error"

    @Option(name: .customLong("on-missing-image"), help: "error (default) or skip.")
    var onMissingImage: String = "error"

    @Option(name: .customLong("on-hostile-entry"), help: "error (default: refuse the archive) or skip.")
    var onHostileEntry: String = "error"

    @Option(name: .customLong("llm-url"), help: "OpenAI-compatible endpoint (base URL) for --format vqa.")
    var llmURL: String?

    @Option(name: .customLong("llm-model"), help: "Model name sent to the endpoint.")
    var llmModel: String?

    @Option(name: .customLong("llm-api-key-env"), help: "Environment variable holding the API key.")
    var llmAPIKeyEnv: String?

    @Option(name: .customLong("llm-cache"), help: "Directory of cached LLM replies (default: llm-cache next to the output).")
    var llmCache: String?

    @Option(name: .long, help: "Generate a built-in dataset first: cogshapes.")
    var generate: String?

    @Option(name: .long, help: "Seed for --generate.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Number of scenes for --generate.")
    var count: Int = 300

    func run() async throws {
        await StageMain.run {
            let config = try makeConfig()
            _ = try await PrepareRunner(config: config).run()
        }
    }

    private func policy<E: RawRepresentable & CaseIterable>(_ value: String, _ option: String, as type: E.Type) throws -> E where E.RawValue == String {
        guard let policy = E(rawValue: value) else {
            throw StageError("--\(option) \(value) is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return policy
    }

    private func makeConfig() throws -> PrepareConfig {
        let path = URL.init(commandLinePath:)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if let config {
            guard input == nil, generate == nil else {
                throw StageError("--config names the inputs; do not combine it with --input or --generate")
            }
            var loaded = try PrepareConfig.load(try ConfigFile.load(path(config), displayPath: config))
            if let output { loaded.output = path(output) }
            return loaded
        }
        guard let output else {
            throw StageError("no output: pass --output <dir>/prepared (or --config pipelines/<name>.yaml)")
        }
        let outputURL = path(output)
        var generateSettings: GenerateSettings?
        var inputURL: URL
        var questions = self.questions, taxonomy = self.taxonomy, annotations = self.annotations
        if let generate {
            guard generate == "cogshapes" else { throw StageError("--generate \(generate): the built-in dataset is cogshapes") }
            guard input == nil else { throw StageError("give either --input or --generate, not both") }
            guard count > 0 else { throw StageError("--count must be at least 1") }
            let generator = CogShapesGenerator(seed: seed, count: count)
            inputURL = outputURL.deletingLastPathComponent().appendingPathComponent("source/\(generator.archiveName)")
            generateSettings = GenerateSettings(dataset: generate, seed: seed, count: count, archive: inputURL)
            questions = "questions.json"; taxonomy = "taxonomy.json"; annotations = annotations ?? "annotations.json"
        } else {
            guard let input else { throw StageError("no input: pass --input <archive or folder>, --generate cogshapes, or --config") }
            inputURL = path(input)
        }
        guard let format = QuestionFormat(rawValue: format) else {
            throw StageError("--format \(self.format) is not one of cogvision, clevr, vqa")
        }
        var llm: LLMEndpoint?
        if let llmURL {
            guard let url = URL(string: llmURL), url.scheme == "http" || url.scheme == "https" else {
                throw StageError("--llm-url \(llmURL) is not an http(s) URL")
            }
            guard let llmModel else { throw StageError("--llm-url needs --llm-model") }
            llm = LLMEndpoint(url: url, model: llmModel, apiKeyEnvironmentVariable: llmAPIKeyEnv)
        }
        if format == .vqa && llm == nil { throw StageError("--format vqa needs --llm-url and --llm-model to decompose questions") }
        if format == .clevr && scenes == nil { throw StageError("--format clevr needs --scenes") }
        return PrepareConfig(
            input: inputURL, format: format, questions: questions, taxonomy: taxonomy, output: outputURL,
            scenes: scenes, annotations: annotations, imageDirectory: imageDirectory, testFraction: testFraction,
            onUnknownLabel: try policy(onUnknownLabel, "on-unknown-label", as: UnknownLabelPolicy.self),
            onMissingImage: try policy(onMissingImage, "on-missing-image", as: MissingImagePolicy.self),
            skipHostileEntries: try policy(onHostileEntry, "on-hostile-entry", as: HostileEntryPolicy.self) == .skip,
            llm: llm, llmCache: llmCache.map(path), generate: generateSettings, baseDirectory: cwd)
    }
}
