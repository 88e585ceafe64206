/// How earlier steps of a chain are shown when asking a later subquestion (`--context`).
public enum ContextPolicy: String, Codable, Sendable, CaseIterable {
    /// No prior context: each subquestion is asked on its own with the main question.
    case none
    /// Earlier subquestions with their reference (gold) answers.
    case gold
    /// Earlier subquestions with the model's own answers (the hierarchy experiment).
    case model
}

/// One earlier step shown as context: the subquestion and the answer given for it.
public struct ContextStep: Sendable, Equatable {
    public var subquestion: String
    public var answer: String
    public init(subquestion: String, answer: String) {
        self.subquestion = subquestion
        self.answer = answer
    }
}

/// The text of the user turn that asks one subquestion of a chain.
///
/// The order follows the functional-head protocol: a one-line role, the subquestion, the main
/// question it serves, the prior context (by policy), then the answer-format instruction. The
/// answer format `[{"answer": "..."}]` makes the model's answer easy to find in free text; the
/// stop rule ends decoding after the first `]`. The exact wording is versioned (`templateID`)
/// and recorded in every activation store, because the activations depend on it.
public struct SubquestionPrompt: Sendable, Equatable {
    public static let templateID = "headscope-subquestion-v1"

    /// The start of the assistant turn, written by HeadScope rather than generated.
    ///
    /// Priming the answer with `[{"answer": "` makes even small models answer in the requested
    /// format (a 135M decoder ignores the instruction otherwise), and it makes the generated
    /// tokens *be* the answer, so the answer span that activations are pooled over holds no
    /// boilerplate. Parse `answerPrefix + generated`.
    public static let answerPrefix = #"[{"answer": ""#

    public var subquestion: String
    public var mainQuestion: String
    public var context: [ContextStep]

    public init(subquestion: String, mainQuestion: String, context: [ContextStep] = []) {
        self.subquestion = subquestion
        self.mainQuestion = mainQuestion
        self.context = context
    }

    /// The user-turn text (the image goes before it, as the chat template places it).
    public var text: String {
        var lines = [
            "Answer the subquestion about the image.",
            "Subquestion: \(subquestion)",
            "Main question: \(mainQuestion)",
        ]
        if !context.isEmpty {
            lines.append("Known so far:")
            for step in context { lines.append("- \(step.subquestion) \(step.answer)") }
        }
        lines.append(#"Reply as [{"answer": "<answer>"}]."#)
        return lines.joined(separator: "\n")
    }

    /// The earlier steps to show for step `index` of a chain, by policy.
    /// - Parameters:
    ///   - steps: the chain's subquestions with their reference answers, in order;
    ///   - modelAnswers: the model's answers to the steps before `index` (needed for `.model`).
    public static func context(policy: ContextPolicy, index: Int,
                               steps: [(subquestion: String, answer: String)],
                               modelAnswers: [String]) -> [ContextStep] {
        switch policy {
        case .none:
            return []
        case .gold:
            return steps.prefix(index).map { ContextStep(subquestion: $0.subquestion, answer: $0.answer) }
        case .model:
            return zip(steps.prefix(index), modelAnswers.prefix(index)).map {
                ContextStep(subquestion: $0.0.subquestion, answer: $0.1)
            }
        }
    }
}
