/// One answered subquestion under one condition: a line of `conditions/<name>.jsonl`.
public struct StepRecord: Sendable, Codable, Equatable {
    public var condition: String
    public var itemID: String
    public var step: Int
    public var function: String
    public var subquestion: String
    public var reference: String
    /// The parsed answer (from `[{"answer": ...}]`, else the raw text).
    public var answer: String
    /// The generated text after the primed answer prefix.
    public var raw: String
    public var structured: Bool
    /// The answer matches the reference (the deterministic judge).
    public var correct: Bool
    /// For ablations: the un-ablated answer, and whether this answer matches it.
    public var baseAnswer: String?
    public var agrees: Bool?
    /// The image (relative to `prepared/`) and the exact user turn asked, so one answer can be
    /// reproduced with `headscope-run` and the condition's plan.
    public var image: String?
    public var userText: String?

    enum CodingKeys: String, CodingKey {
        case condition, itemID = "item_id", step, function, subquestion, reference, answer, raw, structured, correct
        case baseAnswer = "base_answer", agrees, image, userText = "user_text"
    }

    public init(condition: String, itemID: String, step: Int, function: String, subquestion: String, reference: String,
                answer: String, raw: String, structured: Bool, correct: Bool, baseAnswer: String? = nil, agrees: Bool? = nil) {
        self.condition = condition; self.itemID = itemID; self.step = step; self.function = function
        self.subquestion = subquestion; self.reference = reference; self.answer = answer; self.raw = raw
        self.structured = structured; self.correct = correct; self.baseAnswer = baseAnswer; self.agrees = agrees
    }

    /// The step's key, shared by every condition.
    public var key: StepKey { StepKey(itemID: itemID, step: step) }
}

/// A subquestion of the prepared data: item and step index.
public struct StepKey: Sendable, Hashable, Comparable {
    public var itemID: String
    public var step: Int
    public static func < (a: StepKey, b: StepKey) -> Bool { (a.itemID, a.step) < (b.itemID, b.step) }
}
