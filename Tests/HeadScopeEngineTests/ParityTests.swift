import Foundation
import HeadScopeEngine
import Testing
import TestSupport

/// Golden parity with transformers 5.23 on tiny random LLaVA checkpoints (scripts/fixtures/engine.py).
/// Tolerance: 1e-4 relative plus a 2e-5 absolute floor; greedy continuations must be equal.
@Suite("Engine parity with transformers")
struct ParityTests {
    static let fixtures = ["llava_clip_llama", "llava_siglip_qwen2", "llava_dinov2_llama"]
    static let relative: Float = 1e-4
    static let absolute: Float = 2e-5

    static func captureAll(_ plan: InterpretabilityPlan = .init()) -> InterpretabilityPlan {
        var plan = plan
        plan.zCaptures += [CaptureRequest(tower: .language, positions: .all), CaptureRequest(tower: .vision, positions: .all)]
        plan.attentionCaptures += [CaptureRequest(tower: .language, positions: .all), CaptureRequest(tower: .vision, positions: .all)]
        return plan
    }

    @Test("prompt forward: logits, per-head z, attention, image features, vision tower", arguments: fixtures)
    func forward(name: String) throws {
        let f = try EngineFixture(name)
        let result = try f.model.forward(tokens: f.prompt, images: [f.pixels], plan: Self.captureAll())
        let g = f.golden
        expectClose(result.logits, try g.tensor("logits").values, relative: Self.relative, absolute: Self.absolute, label: "logits")
        expectClose(result.imageFeatures, try g.tensor("image_features").values, relative: Self.relative, absolute: Self.absolute, label: "image features")
        for l in 0..<f.language.layers {
            expectClose(layerSlice(result.captures.z[0], layer: l), try g.tensor("z.L\(l)").values,
                             relative: Self.relative, absolute: Self.absolute, label: "z layer \(l)")
            expectClose(attentionSlice(result.captures.attention[0], layer: l), try g.tensor("attn.L\(l)").values,
                             relative: Self.relative, absolute: Self.absolute, label: "attention layer \(l)")
        }
        for l in 0..<f.vision.layers {
            expectClose(layerSlice(result.captures.z[1], layer: l), try g.tensor("vz.L\(l)").values,
                             relative: Self.relative, absolute: Self.absolute, label: "vision z layer \(l)")
            expectClose(attentionSlice(result.captures.attention[1], layer: l), try g.tensor("vattn.L\(l)").values,
                             relative: Self.relative, absolute: Self.absolute, label: "vision attention layer \(l)")
        }
    }

    @Test("greedy continuation equals generate(do_sample=False)", arguments: fixtures)
    func greedy(name: String) throws {
        let f = try EngineFixture(name)
        let expected = try f.golden.tensor("generated").int64Values.map(Int.init)
        let result = try f.model.generate(prompt: f.prompt, images: [f.pixels], options: .init(maxNewTokens: 8))
        #expect(result.tokens == expected)
        expectClose(result.promptLogits, Array(try f.golden.tensor("logits").values.suffix(f.model.configuration.textConfig.vocabSize)),
                         relative: Self.relative, absolute: Self.absolute, label: "prompt logits")
    }

    @Test("plan edits match hooked and patched reference runs", arguments: fixtures)
    func edits(name: String) throws {
        let f = try EngineFixture(name)
        #expect(!f.plans.isEmpty)
        for (edit, plan) in f.plans.sorted(by: { $0.key < $1.key }) {
            let g = f.golden
            let expectedTokens = try g.tensor("edit.\(edit).generated").int64Values.map(Int.init)
            let generated = try f.model.generate(prompt: f.prompt, images: [f.pixels], plan: plan, options: .init(maxNewTokens: 8))
            #expect(generated.tokens == expectedTokens, "\(name)/\(edit)")

            let sequence = f.prompt + expectedTokens.dropLast()
            let result = try f.model.forward(tokens: sequence, images: [f.pixels], plan: Self.captureAll(plan), promptLength: f.prompt.count)
            expectClose(result.logits, try g.tensor("edit.\(edit).logits").values, relative: Self.relative,
                             absolute: Self.absolute, label: "\(name)/\(edit) logits")
            for l in 0..<f.language.layers {
                expectClose(layerSlice(result.captures.z[0], layer: l), try g.tensor("edit.\(edit).z.L\(l)").values,
                                 relative: Self.relative, absolute: Self.absolute, label: "\(name)/\(edit) z layer \(l)")
            }
            for l in 0..<f.vision.layers {
                expectClose(layerSlice(result.captures.z[1], layer: l), try g.tensor("edit.\(edit).vz.L\(l)").values,
                                 relative: Self.relative, absolute: Self.absolute, label: "\(name)/\(edit) vision z layer \(l)")
            }
        }
    }
}

extension ParityTests {
    @Test("key/value captures equal the reference's post-RoPE keys and values", arguments: fixtures)
    func keyValues(name: String) throws {
        let f = try EngineFixture(name)
        var plan = InterpretabilityPlan()
        plan.kvCaptures = [CaptureRequest(tower: .language, positions: .all), CaptureRequest(tower: .vision, positions: .all)]
        let result = try f.model.forward(tokens: f.prompt, images: [f.pixels], plan: plan)
        let text = f.model.configuration.textConfig
        let group = text.numAttentionHeads / (text.numKeyValueHeads ?? text.numAttentionHeads)
        for (index, prefix, layers, groupSize) in [(0, "", f.language.layers, group), (1, "v", f.vision.layers, 1)] {
            for l in 0..<layers {
                for (capture, kind) in [(result.captures.keys[index], "k"), (result.captures.values[index], "v")] {
                    let golden = try f.golden.tensor("\(prefix)\(kind).L\(l)")   // [kvHeads, T, hd]
                    let t = golden.shape[1], d = golden.shape[2]
                    var expected: [Float] = []    // -> [T, heads, hd] for this layer
                    for p in 0..<t { for h in capture.heads {
                        let start = ((h / groupSize) * t + p) * d
                        expected += golden.values[start..<(start + d)]
                    } }
                    expectClose(layerSlice(capture, layer: l), expected, relative: Self.relative, absolute: Self.absolute,
                                label: "\(name) \(prefix)\(kind) layer \(l)")
                }
            }
        }
    }
}
