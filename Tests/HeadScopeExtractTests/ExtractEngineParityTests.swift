import Foundation
import Testing
import TestSupport
import HeadScopeActivations
import HeadScopeEngine
import HeadScopeExtract
import HeadScopeImageIO
import HeadScopePreprocess
import HeadScopeQA
import HeadScopeRuntime

/// The values `headscope-extract` stores are what the engine's plan capture returns for the same
/// prompt and the same generated tokens, and so (through the engine's parity tests, which compare
/// `forward` captures with transformers) what the reference implementation computes.
///
/// The check runs the real executable on the tiny LLaVA checkpoint, then recomputes every row
/// without the extract stage's code: the image through the public preprocessing, greedy
/// generation from the full prompt with `VisionLanguageModel.generate` (no prefix session), then
/// one `forward` over prompt + generated tokens capturing every decoder head's `z`, pooled here
/// by the documented position policy (docs/activation-format.md).
@Suite("headscope-extract stores the engine's captures", .serialized)
struct ExtractEngineParityTests {
    /// Tolerance: |stored - expected| <= 4e-6 + 1e-6 |expected|. Not bit-exact, by construction:
    /// the stage captures `z` while decoding (a prefix session prefilled once per image, the rest
    /// of the prompt prefilled after it, then one token at a time through the KV cache) and this
    /// check in one `forward` over the whole sequence, so the matrix products group their sums
    /// differently; the mean is also summed in float32 there and in float64 here. Both are float32
    /// rounding: at most 1.1e-6 apart on values up to 3 (a few ulps) when this was written, far
    /// below the engine's 1e-4 parity with transformers and the gap to any other position's `z`.
    static let relative: Float = 1e-6
    static let absolute: Float = 4e-6

    /// Items of the workspace to extract, in this order: 7 is a chain in which the tiny model closes
    /// the answer string (`"`) after two tokens, so the answer span ends before generation does;
    /// in 0 it never does, so the span runs to the last generated token.
    static let itemsToExtract = [7, 0]

    /// With the default batch the stage answers an image's subquestions together
    /// (`PrefixSession.generateBatch`); with batch 1, one at a time.
    @Test("stored z equals a direct forward capture", arguments: [(PositionPolicy.mean, 8), (.lastPrompt, 1)])
    func storedRowsEqualTheEngineCapture(policy: PositionPolicy, batch: Int) throws {
        let root = try ExtractExecutableTests.workspace()
        try Self.keepItems(Self.itemsToExtract, in: root.appendingPathComponent("prepared"))
        let output = root.appendingPathComponent("activations")
        let maxNewTokens = 6
        let run = try TestSupport.run(ExtractExecutableTests.executable("headscope-extract"), [
            "--prepared", root.appendingPathComponent("prepared").path, "--output", output.path,
            "--model", root.appendingPathComponent("model").path, "--items-per-shard", "1",
            "--max-new-tokens", "\(maxNewTokens)", "--positions", policy.rawValue, "--batch", "\(batch)",
        ], environment: ["HEADSCOPE_PROGRESS": "off"])
        try #require(run.status == 0, "\(run.stderr)")

        let reader = try ActivationReader(store: output)
        defer { try? reader.close() }
        let g = (reader.attributes.layers, reader.attributes.heads, reader.attributes.headDim)
        let stored = try reader.rows(0..<reader.rows)
        let (itemIDs, steps) = (try reader.strings("item_id"), try reader.ints("step"))
        let (rawOutputs, starts, lengths) = (try reader.strings("raw_output"), try reader.ints("answer_start"),
                                             try reader.ints("answer_length"))

        let prepared = try PreparedDataset(directory: root.appendingPathComponent("prepared"))
        let items = prepared.items
        let expectedRows = items.reduce(0) { $0 + $1.steps.count }
        try #require(reader.rows == expectedRows && expectedRows >= 6, "\(reader.rows) rows for \(expectedRows) subquestions")

        let modelFolder = root.appendingPathComponent("model")
        let runtime = try EngineRuntime.load(folder: modelFolder)
        let model = runtime.model
        let tokenizer = runtime.tokenizer
        let eos = model.configuration.eosTokenIds + (tokenizer.eosTokenID.map { [$0] } ?? [])
        let processor = try ImageProcessor(contentsOf: modelFolder.appendingPathComponent("preprocessor_config.json"),
                                           className: "CLIPImageProcessor")
        var row = 0
        var spans: [(answerLength: Int, generated: Int)] = []
        for item in items {
            let imageURL = prepared.imageURL(of: item)
            let raster = try RasterImage(contentsOf: imageURL).compositedOnWhite()
            let tensor = try processor(try PixelImage(width: raster.width, height: raster.height, layout: .rgb, bytes: raster.pixels))
            let pixels = try PixelValues(channels: tensor.channels, height: tensor.height, width: tensor.width, values: tensor.values)
            let session = try runtime.session(image: imageURL)
            for (index, step) in item.steps.enumerated() {
                defer { row += 1 }
                #expect(itemIDs[row] == item.id && steps[row] == index)
                let text = SubquestionPrompt(subquestion: step.subquestion, mainQuestion: item.question).text
                let prompt = try session.layout(userText: text, assistantPrefix: SubquestionPrompt.answerPrefix).ids
                let generated = try model.generate(prompt: prompt, images: [pixels], options: GenerationOptions(
                    maxNewTokens: maxNewTokens, eosTokenIds: eos,
                    stop: { tokenizer.decode($0, skipSpecialTokens: true).contains("]") })).tokens
                // Same tokens as the stage generated: its decoded answer is stored.
                #expect(tokenizer.decode(generated, skipSpecialTokens: true) == rawOutputs[row], "row \(row)")
                #expect(starts[row] == prompt.count, "row \(row)")

                let captured = try model.forward(tokens: prompt + generated, images: [pixels],
                                                 plan: InterpretabilityPlan(zCaptures: [CaptureRequest(tower: .language, positions: .all)]),
                                                 promptLength: prompt.count, logits: .last).captures.z[0]
                #expect(captured.layers == Array(0..<g.0) && captured.heads == Array(0..<g.1) && captured.headDim == g.2)
                let (positions, answerLength) = Self.pooled(policy: policy, promptLength: prompt.count, generated: generated,
                                                            decode: { tokenizer.decode($0, skipSpecialTokens: true) })
                #expect(lengths[row] == answerLength, "row \(row): answer_length \(lengths[row]) for positions \(positions)")
                spans.append((answerLength, generated.count))
                let expected = Self.mean(of: positions, in: captured)
                let width = g.0 * g.1 * g.2
                let actual = Array(stored[(row * width)..<((row + 1) * width)])
                #expect(mismatch(actual, expected, relative: Self.relative, absolute: Self.absolute,
                                 label: "\(policy.rawValue) row \(row) (\(item.id) step \(index))") == nil)
                // The check is not vacuous: another position's z is far from the stored row.
                let other = Self.mean(of: [prompt.count - 2], in: captured)
                #expect(mismatch(actual, other, relative: 1e-3, absolute: 1e-3) != nil, "row \(row) equals an unrelated position")
            }
        }
        #expect(row == reader.rows)
        if policy == .mean {
            // Both ends of the span rule were exercised: closed by a quote, and cut by the token limit.
            #expect(spans.contains { $0.answerLength > 0 && $0.answerLength < $0.generated - 1 }, "\(spans)")
            #expect(spans.contains { $0.answerLength > 0 && $0.answerLength == $0.generated - 1 }, "\(spans)")
        }
    }

    /// Rewrites `items.jsonl` to hold only the items at `indices`, in that order.
    static func keepItems(_ indices: [Int], in prepared: URL) throws {
        let url = prepared.appendingPathComponent("items.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        try (indices.map { String(lines[$0]) }.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    /// The positions a row pools, per docs/activation-format.md and the stage's documentation:
    /// `last-prompt` takes the last prompt position; `mean` takes the answer tokens (generated
    /// tokens before the one whose text closes the answer string with `"`) at the positions where
    /// they are fed back in, which the last generated token never is; with no such token it falls
    /// back to the last prompt position. `answerLength` is what `answer_length` must say.
    static func pooled(policy: PositionPolicy, promptLength: Int, generated: [Int],
                       decode: ([Int]) -> String) -> (positions: [Int], answerLength: Int) {
        let last = promptLength - 1
        guard policy == .mean else { return ([last], 0) }
        let span = generated.indices.first { decode(Array(generated[...$0])).contains("\"") } ?? generated.count
        let fedBack = min(span, generated.count - 1)
        return fedBack > 0 ? (Array(promptLength..<(promptLength + fedBack)), fedBack) : ([last], 0)
    }

    /// The mean over `positions` of the captured `[layers * heads * headDim]` vectors, in float64.
    static func mean(of positions: [Int], in z: HeadActivations) -> [Float] {
        let width = z.layers.count * z.heads.count * z.headDim
        var sum = [Double](repeating: 0, count: width)
        for position in positions {
            guard let p = z.positions.firstIndex(of: position) else { return [] }
            for i in 0..<width { sum[i] += Double(z.values[p * width + i]) }
        }
        return sum.map { Float($0 / Double(positions.count)) }
    }
}
