import Foundation
@testable import HeadScopeEngine
import Testing
import TestSupport

@Suite("Parallel paths")
struct ParallelPathTests {
    @Test("attention heads and row-wise steps across cores give the golden outputs")
    func forcedParallel() throws {
        let (rowWork, attentionWork) = (ParallelTuning.rowWork, ParallelTuning.attentionWork)
        ParallelTuning.rowWork = 0
        ParallelTuning.attentionWork = 0
        defer { ParallelTuning.rowWork = rowWork; ParallelTuning.attentionWork = attentionWork }
        for name in ParityTests.fixtures {
            let f = try EngineFixture(name)
            let edit = try #require(f.plans.keys.sorted().last)
            let plan = try #require(f.plans[edit])
            let expectedTokens = try f.golden.tensor("edit.\(edit).generated").int64Values.map(Int.init)
            let result = try f.model.forward(tokens: f.prompt + expectedTokens.dropLast(), images: [f.pixels],
                                             plan: plan, promptLength: f.prompt.count)
            expectClose(result.logits, try f.golden.tensor("edit.\(edit).logits").values,
                        relative: 1e-4, absolute: 2e-5, label: "\(name) logits")
            let generated = try f.model.generate(prompt: f.prompt, images: [f.pixels], plan: plan, options: .init(maxNewTokens: 8))
            #expect(generated.tokens == expectedTokens)
        }
    }
}
