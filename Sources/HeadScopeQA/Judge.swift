/// Decides whether a model's answer matches the reference answer.
public protocol AnswerJudge: Sendable {
    /// A short identifier recorded with every verdict (e.g. `normalized-match-v1`).
    var identifier: String { get }
    func judge(answer: String, reference: String, question: String, options: [String: String]) async throws -> Bool
}

/// The deterministic default judge: normalised exact match with canonical forms for numbers,
/// yes/no and option letters.
///
/// Both sides are normalised (lower case, punctuation and articles dropped, spaces collapsed),
/// then compared in this order: option letters (`B`, `(b)`, `option B`, or the option's text when
/// the options are known), yes/no words (`yes`, `true`, `correct` / `no`, `false`, `incorrect`),
/// numbers (digits or number words up to twenty, compared as values), and finally the normalised
/// text itself (a trailing plural `s` is ignored, so `circles` matches `circle`). No partial or
/// fuzzy matching: a wrong answer that merely contains the reference is wrong.
public struct NormalizedMatchJudge: AnswerJudge {
    public let identifier = "normalized-match-v1"

    public init() {}

    public func judge(answer: String, reference: String, question: String = "",
                      options: [String: String] = [:]) -> Bool {
        Self.matches(answer, reference, options: options)
    }

    public static func matches(_ answer: String, _ reference: String, options: [String: String] = [:]) -> Bool {
        let a = normalize(answer), r = normalize(reference)
        if let ra = optionLetter(reference, options: options) {
            return optionLetter(answer, options: options) == ra
        }
        if let ry = yesNo(r) { return yesNo(a) == ry }
        if let rn = number(r) { return number(a) == rn }
        return a == r || singular(a) == singular(r)
    }

    // MARK: Normal forms

    static let articles: Set<String> = ["a", "an", "the"]

    /// Lower case, punctuation to spaces (keeping decimal points and minus signs inside numbers),
    /// articles removed, whitespace collapsed.
    public static func normalize(_ text: String) -> String {
        var cleaned = ""
        let chars = Array(text.lowercased())
        for (i, c) in chars.enumerated() {
            if c.isLetter || c.isNumber { cleaned.append(c); continue }
            let between = i > 0 && i + 1 < chars.count && chars[i - 1].isNumber && chars[i + 1].isNumber
            if c == "." && between { cleaned.append(c); continue }
            if c == "-" && i + 1 < chars.count && chars[i + 1].isNumber && (i == 0 || chars[i - 1] == " ") {
                cleaned.append(c); continue
            }
            cleaned.append(" ")
        }
        return cleaned.split(separator: " ").filter { !articles.contains(String($0)) }.joined(separator: " ")
    }

    static func singular(_ text: String) -> String {
        text.split(separator: " ").map { word in
            word.count > 3 && word.hasSuffix("s") && !word.hasSuffix("ss") ? String(word.dropLast()) : String(word)
        }.joined(separator: " ")
    }

    static func yesNo(_ normalized: String) -> Bool? {
        switch normalized {
        case "yes", "true", "correct", "yes it is", "yes there is", "yes there are": return true
        case "no", "false", "incorrect", "no it is not", "no there is not", "no there are not": return false
        default: return nil
        }
    }

    static let numberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                              "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                              "seventeen", "eighteen", "nineteen", "twenty"]

    static func number(_ normalized: String) -> Double? {
        if let value = Double(normalized) { return value }
        if let index = numberWords.firstIndex(of: normalized) { return Double(index) }
        if normalized == "none" { return 0 }
        return nil
    }

    /// The option letter an answer names: `B`, `(b)`, `b)`, `B.`, `B: red`, `option B`, or an
    /// answer equal to one option's text. Works on the raw text, since normalisation would drop
    /// the letter `a` as an article.
    static func optionLetter(_ text: String, options: [String: String]) -> String? {
        var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
        for prefix in ["option ", "choice ", "answer: ", "answer "] where rest.hasPrefix(prefix) {
            rest = rest.dropFirst(prefix.count)
        }
        if rest.hasPrefix("(") { rest = rest.dropFirst() }
        if let letter = rest.first, ("a"..."j").contains(letter) {
            let after = rest.dropFirst()
            if after.isEmpty || [")", ".", ":"].contains(after.first!) {
                let tail = normalize(String(after.drop { [")", ".", ":", " "].contains($0) }))
                let optionText = options[String(letter).uppercased()].map(normalize)
                if tail.isEmpty || optionText == nil || optionText == tail { return String(letter).uppercased() }
            }
        }
        let n = normalize(text)
        for (letter, optionText) in options where !n.isEmpty && normalize(optionText) == n {
            return letter.uppercased()
        }
        return nil
    }
}
