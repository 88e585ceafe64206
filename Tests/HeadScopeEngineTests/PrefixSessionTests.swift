import Foundation
import HeadScopeEngine
import Testing
import TestSupport

@Suite("Prefix sessions")
struct PrefixSessionTests {
    /// The image and the text before it form the shared prefix.
    static func split(_ f: EngineFixture) -> ([Int], [Int]) { (Array(f.prompt.prefix(20)), Array(f.prompt.dropFirst(20))) }

    @Test("continuations reuse the prefix and equal runs without reuse")
    func reuse() throws {
        let f = try EngineFixture("llava_clip_llama")
        let (prefix, suffix) = Self.split(f)
        let session = try f.model.session(prefix: prefix, images: [f.pixels])
        for continuation in [suffix, [5, 6, 7], suffix, [9]] {
            let reused = try session.generate(continuation: continuation, options: .init(maxNewTokens: 6))
            let fresh = try f.model.generate(prompt: prefix + continuation, images: [f.pixels], options: .init(maxNewTokens: 6))
            #expect(reused.reusedPrefix)
            #expect(reused.tokens == fresh.tokens)
            expectClose(reused.promptLogits, fresh.promptLogits, relative: 1e-4, absolute: 2e-5, label: "prompt logits \(continuation)")
        }
        let golden = try f.golden.tensor("generated").int64Values.map(Int.init)
        #expect(try session.generate(continuation: suffix, options: .init(maxNewTokens: 8)).tokens == golden)
    }

    @Test("a run reuses what it shares with the previous plan-free run, and only that")
    func reuseBeyondThePrefix() throws {
        let f = try EngineFixture("llava_clip_llama")
        let (prefix, suffix) = Self.split(f)
        let session = try f.model.session(prefix: prefix, images: [f.pixels])
        let capture = InterpretabilityPlan(zCaptures: [CaptureRequest(positions: .range(f.prompt.count - 1, f.prompt.count + 8))])
        let first = try session.generate(continuation: suffix, plan: capture, options: .init(maxNewTokens: 6))
        #expect(first.reusedLength == prefix.count)
        // The same prompt again: everything but the last prompt position comes from the cache.
        let again = try session.generate(continuation: suffix, plan: capture, options: .init(maxNewTokens: 6))
        #expect(again.reusedLength == f.prompt.count - 1)
        // A prompt sharing all but its last two tokens with it.
        let variant = Array(suffix.dropLast(2)) + [suffix[suffix.count - 2] == 7 ? 8 : 7, 9]
        let shared = try session.generate(continuation: variant, options: .init(maxNewTokens: 6))
        #expect(shared.reusedLength == f.prompt.count - 2)
        let fresh = try f.model.generate(prompt: prefix + suffix, images: [f.pixels], plan: capture, options: .init(maxNewTokens: 6))
        let freshVariant = try f.model.generate(prompt: prefix + variant, images: [f.pixels], options: .init(maxNewTokens: 6))
        #expect(again.tokens == fresh.tokens && first.tokens == fresh.tokens && shared.tokens == freshVariant.tokens)
        expectClose(again.captures.z[0].values, fresh.captures.z[0].values, relative: 1e-4, absolute: 2e-5, label: "z again")
        expectClose(shared.promptLogits, freshVariant.promptLogits, relative: 1e-4, absolute: 2e-5, label: "variant logits")
        // An edited run is not reused by the next one beyond the edit's first position.
        let edit = InterpretabilityPlan(edits: [HeadEdit(layer: 1, head: 0, positions: .list([f.prompt.count - 3]), operation: .zero)])
        _ = try session.generate(continuation: suffix, plan: edit, options: .init(maxNewTokens: 6))
        let after = try session.generate(continuation: suffix, options: .init(maxNewTokens: 6))
        #expect(after.reusedLength == f.prompt.count - 3)
        expectClose(after.promptLogits, fresh.promptLogits, relative: 1e-4, absolute: 2e-5, label: "after an edit")
    }

    @Test("a batch of continuations gives what generating each alone gives", arguments: [false, true])
    func batch(feedLastToken: Bool) throws {
        let f = try EngineFixture("llava_clip_llama")
        let (prefix, suffix) = Self.split(f)
        let variant = Array(suffix.dropLast(2)) + [suffix[suffix.count - 2] == 7 ? 8 : 7, 9]
        let continuations = [suffix, variant, [5, 6, 7], [9], suffix]
        let plans = continuations.enumerated().map { i, c in
            i == 3 ? InterpretabilityPlan()
                : InterpretabilityPlan(zCaptures: [CaptureRequest(positions: .range(prefix.count + c.count - 1, prefix.count + c.count + 8))],
                                       attentionCaptures: [CaptureRequest(layers: [1], positions: .generated)])
        }
        // Prompts stop at different lengths: on a token divisible by 3 after the second.
        let options = GenerationOptions(maxNewTokens: 6, stop: { $0.count >= 2 && $0.last! % 3 == 0 }, feedLastToken: feedLastToken)
        let batched = try f.model.session(prefix: prefix, images: [f.pixels])
            .generateBatch(continuations: continuations, plans: plans, options: options)
        #expect(batched.count == continuations.count)
        #expect(batched.allSatisfy { $0.reusedLength == prefix.count })   // [9] shares nothing beyond it
        #expect(Set(batched.map(\.tokens.count)).count > 1, "the stop rule should end the prompts at different steps")
        for (i, (continuation, plan)) in zip(continuations, plans).enumerated() {
            let alone = try f.model.generate(prompt: prefix + continuation, images: [f.pixels], plan: plan, options: options)
            let got = batched[i]
            #expect(got.tokens == alone.tokens, "prompt \(i)")
            #expect(got.stopReason == alone.stopReason && got.promptLength == alone.promptLength, "prompt \(i)")
            expectClose(got.promptLogits, alone.promptLogits, relative: 1e-4, absolute: 2e-5, label: "prompt logits \(i)")
            #expect(got.captures.z.count == alone.captures.z.count)
            for (a, b) in zip(got.captures.z, alone.captures.z) {
                #expect(a.positions == b.positions, "captured positions of prompt \(i)")
                expectClose(a.values, b.values, relative: 1e-4, absolute: 2e-5, label: "z \(i)")
            }
            for (a, b) in zip(got.captures.attention, alone.captures.attention) {
                #expect(a.queryPositions == b.queryPositions && a.keyCount == b.keyCount, "attention of prompt \(i)")
                expectClose(a.values, b.values, relative: 1e-4, absolute: 2e-5, label: "attention \(i)")
            }
        }
    }

    @Test("a batch holding an edited run, or shared positions a plan observes, still equals runs alone")
    func batchFallbacks() throws {
        let f = try EngineFixture("llava_clip_llama")
        let (prefix, suffix) = Self.split(f)
        let options = GenerationOptions(maxNewTokens: 5)
        let edit = InterpretabilityPlan(edits: [HeadEdit(layer: 1, head: 0, positions: .generated, operation: .zero)])
        let early = InterpretabilityPlan(zCaptures: [CaptureRequest(positions: .list([3, prefix.count + 1]))])
        for plans in [[InterpretabilityPlan(), edit], [early, InterpretabilityPlan()]] {
            let session = try f.model.session(prefix: prefix, images: [f.pixels])
            let batched = try session.generateBatch(continuations: [suffix, [5, 6, 7]], plans: plans, options: options)
            for (got, (continuation, plan)) in zip(batched, zip([suffix, [5, 6, 7]], plans)) {
                let alone = try f.model.generate(prompt: prefix + continuation, images: [f.pixels], plan: plan, options: options)
                #expect(got.tokens == alone.tokens)
                #expect(got.captures.z.map(\.positions) == alone.captures.z.map(\.positions))
                for (a, b) in zip(got.captures.z, alone.captures.z) { expectClose(a.values, b.values, relative: 1e-4, absolute: 2e-5, label: "z") }
            }
            // The session still serves plain runs from its prefix afterwards.
            let after = try session.generate(continuation: suffix, options: options)
            #expect(after.tokens == (try f.model.generate(prompt: f.prompt, images: [f.pixels], options: options)).tokens)
        }
    }

    @Test("a plan that stays after the prefix reuses it; captures equal the full run")
    func planAfterPrefix() throws {
        let f = try EngineFixture("llava_clip_llama")
        let (prefix, suffix) = Self.split(f)
        let plan = InterpretabilityPlan(
            edits: [HeadEdit(layer: 1, head: 2, positions: .generated, operation: .scale(1e-4))],
            kvReplacements: [KVReplacement(layer: 0, head: 3, positions: [21], keys: Array(repeating: 1, count: 8), values: Array(repeating: 1, count: 8))],
            zCaptures: [CaptureRequest(positions: .range(20, 100))])
        let session = try f.model.session(prefix: prefix, images: [f.pixels])
        let reused = try session.generate(continuation: suffix, plan: plan, options: .init(maxNewTokens: 8))
        let fresh = try f.model.generate(prompt: f.prompt, images: [f.pixels], plan: plan, options: .init(maxNewTokens: 8))
        #expect(reused.reusedPrefix)
        #expect(reused.tokens == fresh.tokens)
        #expect(reused.captures.z[0].positions == fresh.captures.z[0].positions)
        expectClose(reused.captures.z[0].values, fresh.captures.z[0].values, relative: 1e-4, absolute: 2e-5, label: "z")
    }

    @Test("a plan touching the prefix or the vision tower is recomputed from its first position, never silently wrong", arguments: [
        (InterpretabilityPlan(edits: [HeadEdit(layer: 0, head: 1, positions: .list([5]), operation: .zero)]), 5),
        (InterpretabilityPlan(edits: [HeadEdit(layer: 1, head: 0, positions: .all, operation: .scale(0.1))]), 0),
        (InterpretabilityPlan(kvReplacements: [KVReplacement(layer: 0, head: 1, positions: Array(4..<20), keys: Array(repeating: 0, count: 8), values: Array(repeating: 0, count: 8))]), 4),
        (InterpretabilityPlan(blocks: [AttentionBlock(layers: [0, 1], queryPositions: .range(12, 30), keyPositions: .range(4, 20))]), 12),
        (InterpretabilityPlan(edits: [HeadEdit(layer: 0, head: 3, positions: .list([22]), operation: .scale(0.1))],
                              zCaptures: [CaptureRequest(layers: [0], positions: .list([19, 22]))]), 19),
        (InterpretabilityPlan(edits: [HeadEdit(tower: .vision, layer: 0, head: 1, positions: .all, operation: .scale(0.1))]), 0),
    ])
    func prefixEdits(plan: InterpretabilityPlan, reusable: Int) throws {
        let f = try EngineFixture("llava_clip_llama")
        let (prefix, suffix) = Self.split(f)
        let session = try f.model.session(prefix: prefix, images: [f.pixels])
        let plain = try session.generate(continuation: suffix, options: .init(maxNewTokens: 8))
        let edited = try session.generate(continuation: suffix, plan: plan, options: .init(maxNewTokens: 8))
        let fresh = try f.model.generate(prompt: f.prompt, images: [f.pixels], plan: plan, options: .init(maxNewTokens: 8))
        #expect(!edited.reusedPrefix)
        #expect(edited.reusedLength == reusable)
        #expect(edited.tokens == fresh.tokens)
        #expect(edited.captures.z.count == fresh.captures.z.count)
        for (a, b) in zip(edited.captures.z, fresh.captures.z) {
            #expect(a.positions == b.positions)
            expectClose(a.values, b.values, relative: 1e-4, absolute: 2e-5, label: "captured z")
        }
        expectClose(edited.promptLogits, fresh.promptLogits, relative: 1e-4, absolute: 2e-5, label: "prompt logits")
        #expect(mismatch(edited.promptLogits, plain.promptLogits, relative: 1e-3, absolute: 1e-3) != nil, "the edit had no effect")
        // The session still serves unedited continuations from its prefix afterwards.
        let again = try session.generate(continuation: suffix, options: .init(maxNewTokens: 8))
        #expect(again.reusedPrefix && again.tokens == plain.tokens)
        expectClose(again.promptLogits, plain.promptLogits, relative: 1e-4, absolute: 2e-5, label: "restored prefix")
    }

    @Test("the parallel per-head attention path equals the serial chunked path")
    func parallelHeads() throws {
        let f = try EngineFixture("llava_clip_llama")
        // 120 tokens: one-shot prefill takes the parallel path; 60 + 60 chunks stay serial.
        let tokens = f.prompt + (0..<95).map { 2 + ($0 * 37) % 90 }
        let full = try f.model.forward(tokens: tokens, images: [f.pixels], logits: .last)
        let session = try f.model.session(prefix: Array(tokens.prefix(60)), images: [f.pixels])
        let chunked = try session.generate(continuation: Array(tokens.dropFirst(60)), options: .init(maxNewTokens: 1))
        expectClose(full.logits, chunked.promptLogits, relative: 1e-4, absolute: 2e-5, label: "last logits")
    }
}
