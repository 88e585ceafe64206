import ArgumentParser
import Foundation
import HeadScopeCore
import HeadScopeEngine
import HeadScopeRuntime

/// `headscope-run`: one question about one image through a model, optionally under an
/// interpretability plan whose captures are written to HDF5 (docs/run-captures.md).
@main
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headscope-run",
        abstract: "Ask a vision-language model one question about one image and print the answer.",
        discussion: """
        --model takes a Hugging Face LLaVA or Qwen2-VL / Qwen2.5-VL checkpoint folder or `builtin` (data/builtin-model). \
        With --plan, the interpretability plan (JSON, snake_case keys) is applied during generation \
        and, with --captures, what it captured is written to an HDF5 file.
        """)

    @Option(name: .long, help: "A LLaVA or Qwen2-VL / Qwen2.5-VL checkpoint folder, or `builtin`.")
    var model: String

    @Option(name: .long, help: "The image file (PNG or JPEG).")
    var image: String

    @Option(name: .long, help: "The user's question.")
    var prompt: String

    @Option(name: .customLong("max-new-tokens"), help: "Generation budget.")
    var maxNewTokens: Int = 32

    @Option(name: .customLong("answer-prefix"), help: "Text the assistant turn starts with (e.g. '[{\"answer\": \"').")
    var answerPrefix: String = ""

    @Option(name: .customLong("stop-after"), help: "Stop once the generated text contains this string (e.g. ']').")
    var stopAfter: String?

    @Option(name: .long, help: "Interpretability plan (JSON).")
    var plan: String?

    @Option(name: .long, help: "HDF5 file for the plan's captures (needs --plan).")
    var captures: String?

    @Option(name: .long, help: "Repository root for `builtin` (default: found from the working directory).")
    var root: String?

    func validate() throws {
        guard maxNewTokens > 0 else { throw ValidationError("--max-new-tokens must be positive") }
        if captures != nil && plan == nil { throw ValidationError("--captures needs --plan (nothing would be captured)") }
    }

    func run() throws {
        let imageURL = URL(commandLinePath: image)
        guard FileManager.default.fileExists(atPath: imageURL.path) else {
            throw RuntimeError("image not found", location: imageURL.path)
        }
        let interpretability = try plan.map(loadPlan) ?? InterpretabilityPlan()
        let runtime = try loadModel()
        let session = try runtime.session(image: imageURL)
        let layout = try session.layout(userText: prompt, assistantPrefix: answerPrefix)
        let turn = try session.generate(userText: prompt, assistantPrefix: answerPrefix, plan: interpretability,
                                        maxNewTokens: maxNewTokens, stopAfter: stopAfter)
        if let captures {
            try CaptureWriter.write(turn, layout: layout, plan: interpretability, identity: runtime.identity,
                                    userText: prompt, assistantPrefix: answerPrefix, to: URL(commandLinePath: captures))
        }
        print(turn.text)
    }

    func loadModel() throws -> any VLMRuntime {
        try RuntimeLoader.load(model: model, root: root.map(URL.init(commandLinePath:)))
    }

    func loadPlan(_ path: String) throws -> InterpretabilityPlan {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError("cannot read the plan file", location: path)
        }
        do {
            return try JSONDecoder().decode(InterpretabilityPlan.self, from: data)
        } catch let error as DecodingError {
            throw RuntimeError.decoding(error, what: "not a valid interpretability plan", location: path)
        }
    }
}
