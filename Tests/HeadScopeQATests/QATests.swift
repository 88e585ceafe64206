import Testing
@testable import HeadScopeQA

@Suite struct SubquestionPromptTests {
    let steps: [(subquestion: String, answer: String)] = [
        ("What color is the large shape?", "red"), ("How many circles are there?", "3"), ("Is it left?", "yes"),
    ]

    @Test func textOrderFollowsTheProtocol() {
        let prompt = SubquestionPrompt(subquestion: "How many circles are there?",
                                       mainQuestion: "Are there more circles than squares?",
                                       context: [ContextStep(subquestion: "What color is the large shape?", answer: "red")])
        let lines = prompt.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        #expect(lines[1] == "Subquestion: How many circles are there?")
        #expect(lines[2] == "Main question: Are there more circles than squares?")
        #expect(lines[4] == "- What color is the large shape? red")
        #expect(lines[5].contains(#"[{"answer": "<answer>"}]"#))
        #expect(!SubquestionPrompt(subquestion: "q", mainQuestion: "m").text.contains("Known so far"))
    }

    @Test func contextPolicies() {
        #expect(SubquestionPrompt.context(policy: .none, index: 2, steps: steps, modelAnswers: ["blue", "2"]).isEmpty)
        let gold = SubquestionPrompt.context(policy: .gold, index: 2, steps: steps, modelAnswers: ["blue", "2"])
        #expect(gold.map(\.answer) == ["red", "3"])
        let model = SubquestionPrompt.context(policy: .model, index: 2, steps: steps, modelAnswers: ["blue", "2"])
        #expect(model.map(\.answer) == ["blue", "2"])
        #expect(model.map(\.subquestion) == gold.map(\.subquestion))
        #expect(SubquestionPrompt.context(policy: .gold, index: 0, steps: steps, modelAnswers: []).isEmpty)
    }
}

@Suite struct AnswerParserTests {
    @Test(arguments: [
        (#"[{"answer": "red"}]"#, "red", true),
        (#"Sure! [{"answer": "blue"}] and later [{"answer": " green "}]"#, "green", true),
        (#"[{"answer": 3}]"#, "3", true),
        (#"[{"answer": 2.5}]"#, "2.5", true),
        (#"[{"answer": true}]"#, "yes", true),
        (#"[{"answer": "x"}] then junk [{"answer": }]"#, "x", true),
        (#"[{"reason": "r"}, {"answer": "B"}]"#, "B", true),
        ("  circle\n", "circle", false),
        (#"[{"answer": "unterminated"#, #"[{"answer": "unterminated"#, false),
    ])
    func parses(text: String, expected: String, structured: Bool) {
        let parsed = AnswerParser.parse(text)
        #expect(parsed.answer == expected)
        #expect(parsed.structured == structured)
    }

    @Test func primedGenerationParses() {
        let parsed = AnswerParser.parse(SubquestionPrompt.answerPrefix + #"blue"}]"#)
        #expect(parsed == AnswerParser.Parsed(answer: "blue", structured: true))
    }

    @Test func stopRule() {
        #expect(!AnswerParser.shouldStop(#"[{"answer": "red"}"#))
        #expect(AnswerParser.shouldStop(#"[{"answer": "red"}]"#))
    }
}

@Suite struct JudgeTests {
    let judge = NormalizedMatchJudge()

    @Test(arguments: [
        ("Red.", "red"), ("the circle", "circle"), ("circles", "circle"), ("Three", "3"), ("3.0", "3"),
        ("Yes, it is.", "yes"), ("TRUE", "yes"), ("no", "No"), ("(B)", "B"), ("option b", "B"),
        ("B. blue", "B"), ("a", "A"), ("blue", "B"), ("none", "0"), ("-2", "-2"), ("light blue", "Light-Blue"),
    ])
    func accepts(answer: String, reference: String) {
        #expect(judge.judge(answer: answer, reference: reference, options: ["A": "red", "B": "blue"]))
    }

    @Test(arguments: [
        ("red circle", "red"), ("4", "3"), ("yes", "no"), ("C", "B"), ("B. red", "B"), ("", "red"),
        ("three circles", "3"), ("blu", "blue"), ("no", "0"), ("redd", "red"),
    ])
    func rejects(answer: String, reference: String) {
        #expect(!judge.judge(answer: answer, reference: reference, options: ["A": "red", "B": "blue"]))
    }
}
