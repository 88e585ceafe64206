import Foundation
import HeadScopeEngine
import Testing
import TestSupport

@Suite("Interpretability plan semantics")
struct PlanTests {
    @Test("a query row with every visible key blocked keeps its diagonal, in both towers")
    func fullyBlockedRow() throws {
        let f = try EngineFixture("llava_clip_llama")
        var plan = InterpretabilityPlan()
        plan.blocks = [AttentionBlock(tower: .language, layers: [0], heads: [0], queryPositions: .list([10]), keyPositions: .all),
                       AttentionBlock(tower: .vision, layers: [1], heads: [2], queryPositions: .list([3]), keyPositions: .all)]
        plan.attentionCaptures = [CaptureRequest(tower: .language, layers: [0], heads: [0, 1], positions: .list([10])),
                                  CaptureRequest(tower: .vision, layers: [1], heads: [2], positions: .list([3]))]
        let result = try f.model.forward(tokens: f.prompt, images: [f.pixels], plan: plan)
        let language = try #require(result.captures.attention[0].row(query: 10, layer: 0, head: 0))
        #expect(Array(language) == (0..<f.prompt.count).map { $0 == 10 ? 1 : 0 })
        // The other head of the layer is untouched: it spreads attention over positions 0...10.
        let other = try #require(result.captures.attention[0].row(query: 10, layer: 0, head: 1))
        #expect(other.filter { $0 > 0 }.count == 11)
        let vision = try #require(result.captures.attention[1].row(query: 3, layer: 1, head: 2))
        #expect(Array(vision) == (0..<vision.count).map { $0 == 3 ? 1 : 0 })
    }

    @Test("a key/value replacement changes only its own query head under grouped-query attention")
    func replacementIsPerQueryHead() throws {
        let f = try EngineFixture("llava_clip_llama")
        let capture = CaptureRequest(tower: .language, layers: [0], positions: .all)
        let base = try f.model.forward(tokens: f.prompt, images: [f.pixels], plan: InterpretabilityPlan(zCaptures: [capture]))
        let plan = InterpretabilityPlan(
            kvReplacements: [KVReplacement(layer: 0, head: 1, positions: Array(4..<20), keys: Array(repeating: 0.5, count: 8), values: Array(repeating: -1, count: 8))],
            zCaptures: [capture])
        let edited = try f.model.forward(tokens: f.prompt, images: [f.pixels], plan: plan)
        let last = f.prompt.count - 1
        // Heads 0 and 1 share KV head 0: head 0 must be bit-identical, head 1 must change.
        #expect(base.captures.z[0].vector(position: last, layer: 0, head: 0) == edited.captures.z[0].vector(position: last, layer: 0, head: 0))
        #expect(base.captures.z[0].vector(position: last, layer: 0, head: 1) != edited.captures.z[0].vector(position: last, layer: 0, head: 1))
        // Before the first replaced key (position 4) nothing can change.
        #expect(base.captures.z[0].vector(position: 3, layer: 0, head: 1) == edited.captures.z[0].vector(position: 3, layer: 0, head: 1))
    }

    @Test("plans round-trip through JSON")
    func codable() throws {
        let plan = InterpretabilityPlan(
            edits: [HeadEdit(layer: 1, head: 2, positions: .generated, operation: .scale(1e-4)),
                    HeadEdit(tower: .vision, layer: 0, head: 0, positions: .range(1, 5), operation: .add([1, 2]))],
            kvReplacements: [KVReplacement(layer: 0, head: 1, positions: [3, 4], keys: [1], values: [2])],
            blocks: [AttentionBlock(layers: nil, heads: [1], queryPositions: .prompt, keyPositions: .list([1, 2]))],
            zCaptures: [CaptureRequest(positions: .all)],
            attentionCaptures: [CaptureRequest(tower: .vision, layers: [0], positions: .list([0]))],
            kvCaptures: [CaptureRequest(heads: [0], positions: .prompt)])
        let data = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(InterpretabilityPlan.self, from: data) == plan)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"kv_replacements\"") && json.contains("\"query_positions\""))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PositionSelector.self, from: Data(#"{"kind": "everything"}"#.utf8))
        }
    }

    @Test("plans that do not fit the model are refused with the reason")
    func validation() throws {
        let f = try EngineFixture("llava_clip_llama")
        let cases: [(InterpretabilityPlan, String)] = [
            (InterpretabilityPlan(edits: [HeadEdit(layer: 2, head: 0, positions: .all, operation: .zero)]), "layer 2 is out of range"),
            (InterpretabilityPlan(edits: [HeadEdit(layer: 0, head: 4, positions: .all, operation: .zero)]), "head 4 is out of range"),
            (InterpretabilityPlan(edits: [HeadEdit(layer: 0, head: 0, positions: .all, operation: .add([1, 2, 3]))]), "head_dim is 8"),
            (InterpretabilityPlan(kvReplacements: [KVReplacement(layer: 0, head: 0, positions: [1, 2], keys: Array(repeating: 0, count: 12), values: Array(repeating: 0, count: 8))]), "keys has 12 values"),
            (InterpretabilityPlan(zCaptures: [CaptureRequest(tower: .vision, layers: [3], positions: .all)]), "the vision tower has 3 layers"),
            (InterpretabilityPlan(kvReplacements: [KVReplacement(layer: 0, head: 0, positions: [4, 4], keys: Array(repeating: 0, count: 8), values: Array(repeating: 0, count: 8))]), "positions repeat"),
        ]
        for (plan, text) in cases {
            do {
                _ = try f.model.forward(tokens: f.prompt, images: [f.pixels], plan: plan)
                Issue.record("plan accepted: \(plan)")
            } catch let error as EngineError {
                #expect(error.kind == .plan)
                #expect(error.description.contains(text), "\(error)")
            }
        }
    }

    @Test("generation stops on the caller's predicate and on end-of-sequence ids")
    func stopping() throws {
        let f = try EngineFixture("llava_clip_llama")
        let expected = try f.golden.tensor("generated").int64Values.map(Int.init)
        let byPredicate = try f.model.generate(prompt: f.prompt, images: [f.pixels],
                                               options: .init(maxNewTokens: 8, stop: { $0.count == 3 }))
        #expect(byPredicate.tokens == Array(expected.prefix(3)))
        #expect(byPredicate.stopReason == .stopPredicate)
        let eos = expected[1]
        let byEOS = try f.model.generate(prompt: f.prompt, images: [f.pixels], options: .init(maxNewTokens: 8, eosTokenIds: [eos]))
        #expect(byEOS.tokens == Array(expected.prefix(2)))
        #expect(byEOS.stopReason == .endOfSequence)
        let all = try f.model.generate(prompt: f.prompt, images: [f.pixels], options: .init(maxNewTokens: 8))
        #expect(all.stopReason == .maxTokens && all.tokens.count == 8)
    }

    @Test("feeding the last generated token captures it too")
    func feedLastToken() throws {
        let f = try EngineFixture("llava_clip_llama")
        let plan = InterpretabilityPlan(zCaptures: [CaptureRequest(layers: [1], positions: .generated)])
        let plain = try f.model.generate(prompt: f.prompt, images: [f.pixels], plan: plan, options: .init(maxNewTokens: 5))
        let fed = try f.model.generate(prompt: f.prompt, images: [f.pixels], plan: plan, options: .init(maxNewTokens: 5, feedLastToken: true))
        #expect(fed.tokens == plain.tokens)
        #expect(plain.captures.z[0].positions == Array(25..<29))
        #expect(fed.captures.z[0].positions == Array(25..<30))
        let full = try f.model.forward(tokens: f.prompt + fed.tokens, images: [f.pixels], plan: plan, promptLength: f.prompt.count)
        expectClose(fed.captures.z[0].values, full.captures.z[0].values, relative: 1e-4, absolute: 2e-5, label: "z with the last token")
    }

    @Test("z captures at generated positions during decoding equal a full forward over the same tokens")
    func incrementalCaptures() throws {
        let f = try EngineFixture("llava_siglip_qwen2")
        let plan = InterpretabilityPlan(
            edits: [HeadEdit(layer: 0, head: 1, positions: .generated, operation: .scale(0.5))],
            zCaptures: [CaptureRequest(positions: .generated)],
            attentionCaptures: [CaptureRequest(layers: [1], heads: [3], positions: .generated)])
        let generated = try f.model.generate(prompt: f.prompt, images: [f.pixels], plan: plan, options: .init(maxNewTokens: 6))
        let sequence = f.prompt + generated.tokens.dropLast()
        let full = try f.model.forward(tokens: sequence, images: [f.pixels], plan: plan, promptLength: f.prompt.count)
        let a = generated.captures.z[0], b = full.captures.z[0]
        #expect(a.positions == Array(f.prompt.count..<sequence.count))
        #expect(a.positions == b.positions)
        expectClose(a.values, b.values, relative: 1e-4, absolute: 2e-5, label: "generated z")
        let pa = generated.captures.attention[0], pb = full.captures.attention[0]
        #expect(pa.keyCount == sequence.count && pb.keyCount == sequence.count)
        expectClose(pa.values, pb.values, relative: 1e-4, absolute: 2e-5, label: "generated attention")
    }
}

@Suite("Several images")
struct MultiImageTests {
    @Test("image features fill image tokens in order; positions before the second image are unchanged")
    func twoImages() throws {
        let f = try EngineFixture("llava_clip_llama")
        let second = try PixelValues(height: f.pixels.height, width: f.pixels.width, values: f.pixels.values.map { -0.5 * $0 })
        let imageToken = 94
        let tokens = f.prompt + [7, 8] + Array(repeating: imageToken, count: 16) + [9, 10]
        let both = try f.model.forward(tokens: tokens, images: [f.pixels, second])
        let one = try f.model.forward(tokens: f.prompt + [7, 8], images: [f.pixels])
        let vocab = 96, shared = f.prompt.count + 2
        expectClose(Array(both.logits.prefix(shared * vocab)), one.logits, relative: 1e-4, absolute: 2e-5, label: "shared positions")
        let secondAlone = try f.model.imageFeatures(second).features
        #expect(both.imageFeatures.count == 2 * secondAlone.count)
        expectClose(Array(both.imageFeatures.suffix(secondAlone.count)), secondAlone, relative: 1e-5, absolute: 1e-6, label: "second image features")
        #expect(mismatch(Array(both.imageFeatures.prefix(secondAlone.count)), secondAlone, relative: 1e-3, absolute: 1e-3) != nil)
        // A vision-tower plan needs a single image.
        #expect(throws: EngineError.self) {
            try f.model.forward(tokens: tokens, images: [f.pixels, second],
                                plan: InterpretabilityPlan(zCaptures: [CaptureRequest(tower: .vision, positions: .all)]))
        }
    }
}
