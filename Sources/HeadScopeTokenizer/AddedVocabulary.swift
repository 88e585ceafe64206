/// One entry of `added_tokens` (or of `added_tokens_decoder` in `tokenizer_config.json`).
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    /// The exact text matched in the input.
    public var content: String
    /// Special tokens are skipped by `decode(_:skipSpecialTokens: true)`.
    public var special: Bool
    /// Matched only when not inside a word.
    public var singleWord: Bool
    /// Also takes the whitespace on its left.
    public var lstrip: Bool
    /// Also takes the whitespace on its right.
    public var rstrip: Bool
    /// Matched against the normalized text (and normalized itself) rather than the raw input.
    public var normalized: Bool

    /// `normalized` defaults to `!special`, as in `tokenizers`.
    public init(id: Int, content: String, special: Bool, singleWord: Bool = false, lstrip: Bool = false,
                rstrip: Bool = false, normalized: Bool? = nil) {
        self.id = id
        self.content = content
        self.special = special
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized ?? !special
    }

    static func parse(_ json: JSONValue, id: Int?, file: String, key: String) throws -> AddedToken {
        guard let content = json["content"]?.string, let id = id ?? json["id"]?.int else {
            throw TokenizerError(file: file, key: key, message: "added token needs \"id\" and \"content\"")
        }
        let special = json["special"]?.bool ?? false
        return AddedToken(id: id, content: content, special: special,
                          singleWord: json["single_word"]?.bool ?? false,
                          lstrip: json["lstrip"]?.bool ?? false, rstrip: json["rstrip"]?.bool ?? false,
                          normalized: json["normalized"]?.bool ?? !special)
    }
}

/// Finds added tokens in text before the model sees it: leftmost-longest matches, with the
/// single_word / lstrip / rstrip rules of `tokenizers`' `AddedVocabulary::find_matches`.
struct AddedVocabulary {
    let tokens: [AddedToken]
    let byContent: [String: AddedToken]
    let byID: [Int: AddedToken]
    /// The text each added id decodes to: normalized tokens decode to their normalized form, as
    /// `tokenizers` stores them that way in its id-to-token map.
    let textByID: [Int: String]
    private let raw: Matcher
    private let normalizedMatcher: Matcher

    /// Patterns indexed by first scalar, longest first, for leftmost-longest search.
    private struct Matcher {
        var byFirst: [Unicode.Scalar: [(pattern: [Unicode.Scalar], token: AddedToken)]] = [:]
        var isEmpty: Bool { byFirst.isEmpty }

        init(_ entries: [([Unicode.Scalar], AddedToken)]) {
            for (pattern, token) in entries where !pattern.isEmpty {
                byFirst[pattern[0], default: []].append((pattern, token))
            }
            for key in byFirst.keys { byFirst[key]?.sort { $0.pattern.count > $1.pattern.count } }
        }

        /// The longest pattern starting at `i`.
        func match(_ s: [Unicode.Scalar], at i: Int) -> (length: Int, token: AddedToken)? {
            guard let candidates = byFirst[s[i]] else { return nil }
            for (pattern, token) in candidates where i + pattern.count <= s.count {
                if s[i..<(i + pattern.count)].elementsEqual(pattern) { return (pattern.count, token) }
            }
            return nil
        }
    }

    /// With `splitSpecialTokens` (transformers' `split_special_tokens`), special tokens in the text
    /// are not matched: they are tokenized as ordinary text.
    let splitSpecialTokens: Bool

    init(tokens: [AddedToken], normalizer: Normalizer?, splitSpecialTokens: Bool = false) {
        self.tokens = tokens
        self.splitSpecialTokens = splitSpecialTokens
        var byContent: [String: AddedToken] = [:]
        var byID: [Int: AddedToken] = [:]
        for token in tokens {
            byContent[token.content] = token
            byID[token.id] = token
        }
        self.byContent = byContent
        self.byID = byID
        var textByID: [Int: String] = [:]
        for token in tokens {
            if token.normalized, let normalizer {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: normalizer.normalize(Array(token.content.unicodeScalars)))
                textByID[token.id] = String(view)
            } else {
                textByID[token.id] = token.content
            }
        }
        self.textByID = textByID
        raw = Matcher(tokens.filter { !$0.normalized }.map { (Array($0.content.unicodeScalars), $0) })
        normalizedMatcher = Matcher(tokens.filter { $0.normalized }.map { token in
            let scalars = Array(token.content.unicodeScalars)
            return (normalizer?.normalize(scalars) ?? scalars, token)
        })
    }

    enum Segment {
        case text(Piece)
        case token(Int)
    }

    /// Splits on tokens matched against the raw text.
    func splitRaw(_ text: [Unicode.Scalar]) -> [Segment] {
        split(Piece(scalars: text, atOrigin: true), raw)
    }

    /// Splits an already-normalized piece on tokens whose content is matched after normalization.
    func splitNormalized(_ piece: Piece) -> [Segment] {
        split(piece, normalizedMatcher)
    }

    private func split(_ piece: Piece, _ matcher: Matcher) -> [Segment] {
        let s = piece.scalars
        if matcher.isEmpty || s.isEmpty { return [.text(piece)] }
        var segments: [Segment] = []
        var startOffset = 0
        var i = 0
        func text(_ range: Range<Int>) {
            segments.append(.text(Piece(scalars: Array(s[range]), atOrigin: piece.atOrigin && range.lowerBound == 0)))
        }
        while i < s.count {
            guard let found = matcher.match(s, at: i) else { i += 1; continue }
            var start = i
            var stop = i + found.length
            let token = found.token
            if splitSpecialTokens && token.special {
                i = stop
                continue
            }
            if token.singleWord {
                let startSpace = start == 0 || !UnicodeClasses.isWordCharacter(s[start - 1])
                let stopSpace = stop == s.count || !UnicodeClasses.isWordCharacter(s[stop])
                if !startSpace || !stopSpace {
                    // Not a whole word: the search resumes after this match, as aho-corasick does.
                    i = stop
                    continue
                }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0 && UnicodeClasses.isWhitespace(s[newStart - 1]) { newStart -= 1 }
                start = max(newStart, startOffset)
            }
            if token.rstrip {
                while stop < s.count && UnicodeClasses.isWhitespace(s[stop]) { stop += 1 }
            }
            if startOffset < start { text(startOffset..<start) }
            segments.append(.token(token.id))
            startOffset = stop
            i = stop
        }
        if startOffset < s.count { text(startOffset..<s.count) }
        return segments
    }
}
