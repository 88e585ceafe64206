import Foundation
import Testing
@testable import HeadScopePrepare

@Suite struct CLEVRAdapterTests {
    func read() throws -> ([DraftItem], AdapterCounts) {
        let taxonomy = try Taxonomy.parse(JSONParser.parse(Data(CLEVRFixtures.taxonomy.utf8), source: "t"), source: "t")
        let scenes = try CLEVRScene.load(Data(CLEVRFixtures.scenes.utf8), source: "scenes.json")
        return try CLEVRAdapter(taxonomy: taxonomy, imageDirectory: "images/{split}")
            .read(questions: Data(CLEVRFixtures.questions.utf8), source: "questions.json", scenes: scenes)
    }

    @Test func countAfterRelateHasPerceptionRelationAndMathSteps() throws {
        let (items, _) = try read()
        let q = try #require(items.first { $0.id == "clevr-val-0" })
        #expect(q.imagePath == "images/val/CLEVR_val_000000.png")
        #expect(q.finalAnswer == "1")
        #expect(q.steps == [
            Step(subquestion: "Are there any red objects?", answer: "yes", function: "Low-Level Vision Reception"),
            Step(subquestion: "Are there any red cubes?", answer: "yes", function: "Low-Level Vision Reception"),
            Step(subquestion: "How many objects are there left of the red cube?", answer: "1", function: "Relational Reasoning"),
            Step(subquestion: "Are there any blue objects left of the red cube?", answer: "yes", function: "Low-Level Vision Reception"),
            Step(subquestion: "How many blue objects left of the red cube are there?", answer: "1", function: "Math Reasoning"),
        ])
    }

    @Test func comparisonAndEqualityChains() throws {
        let (items, _) = try read()
        let compare = try #require(items.first { $0.id == "clevr-val-1" })
        #expect(compare.finalAnswer == "yes")
        #expect(compare.steps.map(\.answer) == ["yes", "2", "yes", "1", "yes"])
        #expect(compare.steps.map(\.function) == ["Low-Level Vision Reception", "Math Reasoning", "Low-Level Vision Reception",
                                                  "Math Reasoning", "Math Reasoning"])
        #expect(compare.steps.last?.subquestion == "Is the number of spheres greater than the number of cylinders?")

        let equal = try #require(items.first { $0.id == "clevr-val-2" })
        #expect(equal.finalAnswer == "yes")
        #expect(equal.steps.filter { $0.subquestion.hasPrefix("What material") }.map(\.answer) == ["rubber", "rubber"])
        #expect(equal.steps.last == Step(subquestion: "Do the small blue sphere and the large cylinder have the same material?",
                                         answer: "yes", function: "Decision-Making"))

        let same = try #require(items.first { $0.id == "clevr-val-5" })
        #expect(same.steps.map(\.answer) == ["yes", "1", "1"])
        #expect(same.steps[1].function == "Relational Reasoning")
    }

    @Test func wrongStatedAnswersAndFailingProgramsAreSkippedAndCounted() throws {
        let (items, counts) = try read()
        // Q3 says "no" but there is a metal cube; Q4's "the red thing" matches two objects.
        #expect(Set(items.compactMap(\.id)) == ["clevr-val-0", "clevr-val-1", "clevr-val-2", "clevr-val-5"])
        #expect(counts.itemsSkipped == ["stated answer disagrees with the scene graph": 1, "program does not run on its scene": 1])
    }
}
