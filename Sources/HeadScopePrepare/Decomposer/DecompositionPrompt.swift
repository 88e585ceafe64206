import Foundation

/// The prompt that asks an LLM to decompose a question into labelled steps, and the check of its
/// reply. The text is documented in docs/decomposition-prompt.md; change both together (and bump
/// `version`, which is part of the cache key, so cached replies to the old prompt are not reused).
public struct DecompositionPrompt: Sendable {
    /// Part of every cache key: bump when the prompt text changes.
    public static let version = "decompose-v1"

    public var taxonomy: Taxonomy
    public var minSteps: Int
    public var maxSteps: Int

    public init(taxonomy: Taxonomy, minSteps: Int = 2, maxSteps: Int = 9) {
        self.taxonomy = taxonomy
        self.minSteps = minSteps
        self.maxSteps = maxSteps
    }

    /// The system message.
    public var system: String {
        "You break visual questions into the short reasoning steps a careful person takes while "
            + "looking at the image. You reply with JSON only."
    }

    /// The user message for one question with its gold answer.
    public func user(question: String, answer: String) -> String {
        let labels = taxonomy.labels.map { label -> String in
            if let description = taxonomy.descriptions[label] { return "- \(label): \(description)" }
            return "- \(label)"
        }.joined(separator: "\n")
        return """
        Main question: \(question)
        Correct final answer: \(answer)

        Break the main question into \(minSteps) to \(maxSteps) ordered subquestions that lead, one \
        after another, to the correct final answer. Give each subquestion a short answer (one word \
        or a number where possible) and exactly one function label from this list:
        \(labels)

        The last subquestion must produce the final answer. Reply with JSON only, in this form:
        {"steps": [{"subquestion": "...", "answer": "...", "function": "<label from the list>"}]}
        """
    }

    /// The message sent after an invalid reply, asking for a corrected one.
    public func correction(_ problem: String) -> String {
        "That reply was not usable: \(problem). Reply again with JSON only, in the form "
            + "{\"steps\": [{\"subquestion\": \"...\", \"answer\": \"...\", \"function\": \"<label>\"}]}, "
            + "using only labels from the list."
    }

    /// Why a reply was rejected.
    public struct InvalidReply: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Parses and checks a reply: JSON (possibly inside a ``` fence or surrounded by prose) with
    /// `steps` (or a bare array) of `minSteps...maxSteps` objects whose strings are non-empty and
    /// whose labels resolve in the taxonomy.
    public func validate(_ reply: String) throws -> [Step] {
        let json = try extractJSON(reply)
        guard let rawSteps = (json["steps"] ?? json).arrayValue else {
            throw InvalidReply(description: "expected an object with a \"steps\" array")
        }
        guard (minSteps...maxSteps).contains(rawSteps.count) else {
            throw InvalidReply(description: "expected \(minSteps) to \(maxSteps) steps, got \(rawSteps.count)")
        }
        return try rawSteps.enumerated().map { i, raw in
            func field(_ key: String) throws -> String {
                guard let value = raw[key].flatMap(CogVisionAdapter.text)?.trimmingCharacters(in: .whitespacesAndNewlines),
                      !value.isEmpty else {
                    throw InvalidReply(description: "step \(i + 1) has no \"\(key)\" string")
                }
                return value
            }
            let label = try field("function")
            guard case .label(let canonical) = taxonomy.resolve(label) else {
                throw InvalidReply(description: "step \(i + 1) has label \"\(label)\", which is not in the list")
            }
            return Step(subquestion: try field("subquestion"), answer: try field("answer"), function: canonical)
        }
    }

    private func extractJSON(_ reply: String) throws -> OrderedJSON {
        let trimmed = reply.trimmingCharacters(in: .whitespacesAndNewlines)
        if let whole = try? JSONParser.parse(Data(trimmed.utf8), source: "reply") { return whole }
        // Fall back to the outermost {...} or [...] span (models like to add fences or prose).
        let objectFirst = (trimmed.firstIndex(of: "{") ?? trimmed.endIndex) < (trimmed.firstIndex(of: "[") ?? trimmed.endIndex)
        for (open, close) in objectFirst ? [("{", "}"), ("[", "]")] : [("[", "]"), ("{", "}")] {
            if let start = trimmed.firstIndex(of: Character(open)),
               let end = trimmed.lastIndex(of: Character(close)), start < end,
               let inner = try? JSONParser.parse(Data(trimmed[start...end].utf8), source: "reply") {
                return inner
            }
        }
        throw InvalidReply(description: "the reply is not JSON")
    }
}
