import Foundation
import Testing
@testable import HeadScopeAttribute

@Suite struct OutcomeTests {
    @Test func logitAndMarginOfTheTarget() throws {
        let o = try AnswerOutcome(logits: [1, 5, 2, 4.5], target: 1)
        #expect(o.logit == 5 && o.margin == 0.5 && o.isTop)
        let lost = try AnswerOutcome(logits: [1, 5, 2, 4.5], target: 3)
        #expect(lost.logit == 4.5 && lost.margin == -0.5 && !lost.isTop)
        #expect(throws: AttributionError.self) { try AnswerOutcome(logits: [1, 2], target: 2) }
    }

    @Test func nonFiniteValuesSurviveTheResultFile() throws {
        let o = try AnswerOutcome(logits: [3], target: 0)
        #expect(o.margin == .infinity)
        let data = try AttributeStage.resultEncoder.encode(o)
        #expect(try AttributeStage.resultDecoder.decode(AnswerOutcome.self, from: data) == o)
    }

    @Test func configRejectsBadSettings() {
        #expect(throws: AttributionError.self) { try AttributionConfig(keepProbability: 1).validate() }
        #expect(throws: AttributionError.self) { try AttributionConfig(topK: 0).validate() }
        #expect(throws: Never.self) { try AttributionConfig().validate() }
        let grid = HeadGrid(layers: 30, heads: 9)
        #expect(AttributionConfig().topSize(grid) == 27)
        #expect(AttributionConfig().sizes(grid) == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 270])
        #expect(AttributionConfig(curveSizes: [300, 5, 5, 0]).sizes(grid) == [0, 5])
    }
}
