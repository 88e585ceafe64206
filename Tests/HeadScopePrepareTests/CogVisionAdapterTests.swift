import Foundation
import Testing
@testable import HeadScopePrepare

@Suite struct CogVisionAdapterTests {
    static let records = """
    [
      {"question": "What is the man holding? Choose one option from the following: A. a red umbrella, B. a T-shirt, C. a bag D. nothing",
       "answer": "The man holds an umbrella, which is red.", "final_answer": "A", "image_path": "images/0001.png",
       "generated": [
         {"subquestion": "Who is in the image?", "answer": "a man", "cognitive_skill": "High-Level Vision Reception"},
         {"subquestion": "What color is the object he holds?", "answer": "red", "cognitive_skill": "Low-Level Vision Reception"},
         {"subquestion": "What general rule applies?", "answer": "none", "cognitive_skill": "Induction"},
         {"subquestion": "What does 'umbrella' mean here?", "answer": "rain cover", "cognitive_skill": "semantic Understanding"},
         {"subquestion": "Which option matches?", "answer": "A", "cognitive_skill": "Decision-Making"}]},
      {"question": "How many dogs?", "answer": "two", "final_answer": 2, "image_path": "images/0002.jpg",
       "generated": [{"subquestion": "Count the dogs.", "answer": 2, "cognitive_skill": "math reasoning"}]}
    ]
    """

    @Test func readsChainsLabelsAndOptions() throws {
        let (items, counts) = try CogVisionAdapter(taxonomy: cogvisionTaxonomy()).read(Data(Self.records.utf8), source: "data/q.json")
        #expect(items.count == 2)
        let first = items[0]
        #expect(first.imagePath == "images/0001.png")
        #expect(first.finalAnswer == "A")
        #expect(first.options == [AnswerOption(letter: "A", text: "a red umbrella"), AnswerOption(letter: "B", text: "a T-shirt"),
                                  AnswerOption(letter: "C", text: "a bag"), AnswerOption(letter: "D", text: "nothing")])
        #expect(first.steps.map(\.function) == ["High-Level Vision Reception", "Low-Level Vision Reception",
                                                "Semantic Understanding", "Decision-Making"])
        #expect(first.steps.map(\.answer) == ["a man", "red", "rain cover", "A"])
        #expect(first.source == "cogvision:q.json#1")
        #expect(items[1].finalAnswer == "2")
        #expect(items[1].steps == [Step(subquestion: "Count the dogs.", answer: "2", function: "Math Reasoning")])
        #expect(counts.labelsDropped == ["Induction": 1])
        #expect(counts.labelsNormalised == ["semantic Understanding": 1, "math reasoning": 1])
    }

    @Test func unknownLabelsFailWithEntriesOrAreCountedWhenSkipped() throws {
        let text = """
        {"question": "q", "final_answer": "a", "image_path": "i.png", "generated": [{"subquestion": "s", "answer": "a", "cognitive_skill": "Telepathy"}, {"subquestion": "t", "answer": "b", "cognitive_skill": "Inference"}]}
        {"question": "q2", "final_answer": "a", "image_path": "i.png", "generated": [{"subquestion": "s", "answer": "a", "cognitive_skill": "Telepathy"}]}
        """
        do {
            _ = try CogVisionAdapter(taxonomy: cogvisionTaxonomy()).read(Data(text.utf8), source: "q.jsonl")
            Issue.record("expected an error")
        } catch let error as PrepareError {
            #expect(error.description.contains("\"Telepathy\" (entries 1, 2)"))
        }
        let (items, counts) = try CogVisionAdapter(taxonomy: cogvisionTaxonomy(), unknownLabels: .skip).read(Data(text.utf8), source: "q.jsonl")
        #expect(items.count == 1)
        #expect(items[0].steps.map(\.function) == ["Inference"])
        #expect(counts.unknownLabelsSkipped == ["Telepathy": 2])
        #expect(counts.itemsSkipped == ["no steps with a known label": 1])
    }

    @Test func missingFieldsNameEntryAndKey() throws {
        let text = #"[{"question": "q", "final_answer": "a", "image_path": "i.png", "generated": [{"subquestion": "s", "cognitive_skill": "Inference"}]}]"#
        do {
            _ = try CogVisionAdapter(taxonomy: cogvisionTaxonomy()).read(Data(text.utf8), source: "q.json")
            Issue.record("expected an error")
        } catch let error as PrepareError {
            #expect(error.description == "q.json, entry 1, key \"generated[0].answer\": missing")
        }
    }

    @Test func optionParserHandlesOtherLayouts() {
        #expect(OptionParser.options(in: "Pick. Choose one option from the following:\n(A) cat\n(B) dog").map(\.text) == ["cat", "dog"])
        #expect(OptionParser.options(in: "Choose one option from the following: A: 3.5 B: 4. C: X-ray") .map(\.text) == ["3.5", "4", "X-ray"])
        #expect(OptionParser.options(in: "What is it? A. cat B. dog").isEmpty) // no marker: not a choice question
        #expect(OptionParser.options(in: "Choose one option from the following: A. only one").isEmpty)
    }
}
