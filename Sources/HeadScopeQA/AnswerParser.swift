import Foundation

/// Finds the model's answer in its generated text.
///
/// The prompt asks for `[{"answer": "<answer>"}]`. The parser takes the *last* `[{...}]` block
/// that decodes as JSON with an `answer` field (string, number or boolean); when there is none it
/// falls back to the raw text, trimmed, and says so, so the judge and the store can tell a parsed
/// answer from a fallback.
public enum AnswerParser {
    public struct Parsed: Sendable, Equatable {
        public var answer: String
        /// True when the answer came from a `[{"answer": ...}]` block, false for the raw text.
        public var structured: Bool
    }

    /// Decoding stops once the text contains a `]`, which closes the requested answer format.
    public static func shouldStop(_ generated: String) -> Bool {
        generated.contains("]")
    }

    public static func parse(_ text: String) -> Parsed {
        var searchEnd = text.endIndex
        while let close = text[..<searchEnd].range(of: "}]", options: .backwards) {
            var openSearchEnd = close.lowerBound
            while let open = text[..<openSearchEnd].range(of: "[{", options: .backwards) {
                let candidate = String(text[open.lowerBound..<close.upperBound])
                if let answer = answerField(of: candidate) { return Parsed(answer: answer, structured: true) }
                openSearchEnd = open.lowerBound
            }
            searchEnd = close.lowerBound
        }
        return Parsed(answer: text.trimmingCharacters(in: .whitespacesAndNewlines), structured: false)
    }

    /// The `answer` field of the last object in a JSON array, as text.
    static func answerField(of candidate: String) -> String? {
        guard let objects = try? JSONDecoder().decode([AnswerObject?].self, from: Data(candidate.utf8)),
              let answer = objects.last??.answer else { return nil }
        return answer
    }

    private struct AnswerObject: Decodable {
        var answer: String?

        enum CodingKeys: String, CodingKey { case answer }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let text = try? container.decode(String.self, forKey: .answer) {
                answer = text.trimmingCharacters(in: .whitespacesAndNewlines)
            } else if let flag = try? container.decode(Bool.self, forKey: .answer) {
                answer = flag ? "yes" : "no"
            } else if let integer = try? container.decode(Int.self, forKey: .answer) {
                answer = String(integer)
            } else if let number = try? container.decode(Double.self, forKey: .answer) {
                answer = String(number)
            } else {
                answer = nil
            }
        }
    }
}
