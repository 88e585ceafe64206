import Foundation
@testable import HeadScopeEngine
import Testing
import TestSupport

@Suite("Parallel paths")
struct ParallelPathTests {
    @Test("attention heads and row-wise steps across cores, and causal rows in small blocks, give the golden outputs")
    func forcedParallel() throws {
        let (rowWork, attentionWork, rowBlock) = (ParallelTuning.rowWork, ParallelTuning.attentionWork, ParallelTuning.attentionRowBlock)
        ParallelTuning.rowWork = 0
        ParallelTuning.attentionWork = 0
        ParallelTuning.attentionRowBlock = 5
        defer {
            ParallelTuning.rowWork = rowWork; ParallelTuning.attentionWork = attentionWork
            ParallelTuning.attentionRowBlock = rowBlock
        }
        for name in ParityTests.fixtures {
            let f = try EngineFixture(name)
            let captured = try f.model.forward(tokens: f.prompt, images: [f.pixels], plan: ParityTests.captureAll())
            for l in 0..<f.language.layers {
                expectClose(attentionSlice(captured.captures.attention[0], layer: l), try f.golden.tensor("attn.L\(l)").values,
                            relative: 1e-4, absolute: 2e-5, label: "\(name) attention layer \(l)")
            }
            for (edit, plan) in f.plans.sorted(by: { $0.key < $1.key }) {
                let expectedTokens = try f.golden.tensor("edit.\(edit).generated").int64Values.map(Int.init)
                let result = try f.model.forward(tokens: f.prompt + expectedTokens.dropLast(), images: [f.pixels],
                                                 plan: plan, promptLength: f.prompt.count)
                expectClose(result.logits, try f.golden.tensor("edit.\(edit).logits").values,
                            relative: 1e-4, absolute: 2e-5, label: "\(name)/\(edit) logits")
                let generated = try f.model.generate(prompt: f.prompt, images: [f.pixels], plan: plan, options: .init(maxNewTokens: 8))
                #expect(generated.tokens == expectedTokens, "\(name)/\(edit)")
            }
        }
    }
}
