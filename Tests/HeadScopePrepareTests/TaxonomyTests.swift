import Foundation
import Testing
@testable import HeadScopePrepare

let cogvisionTaxonomyJSON = """
{"name": "cogvision",
 "labels": ["Low-Level Vision Reception", "High-Level Vision Reception", "Vision Knowledge Recall",
            "Language Knowledge Recall", "Semantic Understanding", "Math Reasoning", "Inference", "Decision-Making"],
 "excluded": ["Induction"]}
"""

func cogvisionTaxonomy() throws -> Taxonomy {
    try Taxonomy.parse(JSONParser.parse(Data(cogvisionTaxonomyJSON.utf8), source: "taxonomy.json"), source: "taxonomy.json")
}

@Suite struct TaxonomyTests {
    @Test func normalisesCaseAndSpacingVariants() throws {
        let t = try cogvisionTaxonomy()
        #expect(t.resolve("semantic Understanding") == .label("Semantic Understanding"))
        #expect(t.resolve("  Decision making ") == .label("Decision-Making"))
        #expect(t.resolve("math_reasoning") == .label("Math Reasoning"))
        #expect(t.resolve("INDUCTION") == .excluded("Induction"))
        #expect(t.resolve("Telepathy") == .unknown("Telepathy"))
    }

    @Test func aliasesAndProgramFunctions() throws {
        let json = #"{"labels": ["Perception", "Math"], "aliases": {"counting": "Math"}, "program_functions": {"filter_*": "Perception", "filter_color": "Math", "count": "Math"}}"#
        let t = try Taxonomy.parse(JSONParser.parse(Data(json.utf8), source: "t"), source: "t")
        #expect(t.resolve("Counting") == .label("Math"))
        #expect(t.label(forProgramFunction: "filter_shape") == "Perception")
        #expect(t.label(forProgramFunction: "filter_color") == "Math")
        #expect(t.label(forProgramFunction: "scene") == nil)
    }

    @Test func rejectsBadTaxonomies() {
        for bad in [#"{"labels": []}"#, #"{"labels": ["A", "a"]}"#, #"{"labels": ["A"], "aliases": {"x": "B"}}"#, #"{"labels": "A"}"#] {
            #expect(throws: PrepareError.self) { try Taxonomy.parse(JSONParser.parse(Data(bad.utf8), source: "t"), source: "t") }
        }
    }
}
