import Foundation

/// Finds multiple-choice options embedded in a question text.
///
/// CogVision questions end with "Choose one option from the following: A. red B. blue ..."; the
/// letters may be written `A.`, `A)`, `A:` or `(A)` and separated by spaces, commas or newlines.
/// Options are read in letter order starting at A, so a stray capital inside an option's text
/// ("B. a T-shirt") does not split it.
public enum OptionParser {
    /// The phrase that introduces the options (compared case-insensitively).
    public static let marker = "choose one option from the following"

    /// The options in the question, or an empty list when it has fewer than two.
    public static func options(in question: String) -> [AnswerOption] {
        guard let range = question.range(of: marker, options: .caseInsensitive) else { return [] }
        var tail = Substring(question[range.upperBound...])
        if let first = tail.first, first == ":" || first == "." { tail = tail.dropFirst() }
        let chars = Array(tail)
        var options: [AnswerOption] = []
        var letterIndex = 0
        var searchFrom = 0
        var pendingStart: (letter: String, contentStart: Int, markerStart: Int)?
        while letterIndex < 26 {
            let letter = Character(UnicodeScalar(UInt8(ascii: "A") + UInt8(letterIndex)))
            guard let found = findMarker(letter, in: chars, from: searchFrom) else { break }
            if let pending = pendingStart {
                options.append(AnswerOption(letter: pending.letter,
                                      text: clean(chars[pending.contentStart..<found.markerStart])))
            }
            pendingStart = (String(letter), found.contentStart, found.markerStart)
            searchFrom = found.contentStart
            letterIndex += 1
        }
        if let pending = pendingStart {
            options.append(AnswerOption(letter: pending.letter, text: clean(chars[pending.contentStart..<chars.count])))
        }
        return options.count >= 2 ? options : []
    }

    /// Finds `A.` / `A)` / `A:` / `(A)` at a word start at or after `from`.
    private static func findMarker(_ letter: Character, in chars: [Character], from: Int) -> (markerStart: Int, contentStart: Int)? {
        var i = from
        while i < chars.count {
            let atWordStart = i == 0 || [" ", ",", ";", "\n", "\t"].contains(chars[i - 1])
            if atWordStart {
                // "(A) text"
                if chars[i] == "(", i + 2 < chars.count, chars[i + 1] == letter, chars[i + 2] == ")" {
                    if i + 3 == chars.count || chars[i + 3].isWhitespace { return (i, i + 3) }
                }
                // "A. text", "A) text", "A: text"
                if chars[i] == letter, i + 1 < chars.count, [".", ")", ":"].contains(chars[i + 1]) {
                    if i + 2 == chars.count || chars[i + 2].isWhitespace { return (i, i + 2) }
                }
            }
            i += 1
        }
        return nil
    }

    private static func clean(_ text: ArraySlice<Character>) -> String {
        var s = String(text).trimmingCharacters(in: .whitespacesAndNewlines)
        while let last = s.last, last == "," || last == ";" || last == "." {
            s.removeLast()
            s = s.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return s
    }
}
