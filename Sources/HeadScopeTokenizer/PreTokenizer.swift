/// A stretch of text on its way through pre-tokenization. `atOrigin` says it starts at offset 0
/// of the original input, which Metaspace's `prepend_scheme: "first"` depends on.
struct Piece {
    var scalars: [Unicode.Scalar]
    var atOrigin: Bool
}

/// How Split keeps the delimiters it finds (`behavior` in `tokenizer.json`).
enum SplitBehavior: String {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

/// When Metaspace adds the replacement character in front of a piece.
enum PrependScheme: String {
    case always, first, never
}

/// The `pre_tokenizer` of `tokenizer.json`: splits normalized text into the words the model sees.
indirect enum PreTokenizer {
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(TextPattern, SplitBehavior, invert: Bool)
    case digits(individual: Bool)
    case metaspace(replacement: Unicode.Scalar, scheme: PrependScheme, split: Bool)
    case whitespace
    case whitespaceSplit
    case sequence([PreTokenizer])

    static func parse(_ json: JSONValue?, file: String, key: String = "pre_tokenizer") throws -> PreTokenizer? {
        guard let json else { return nil }
        guard let type = json["type"]?.string else {
            throw TokenizerError(file: file, key: key, message: "pre-tokenizer has no \"type\"")
        }
        switch type {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: json["add_prefix_space"]?.bool ?? true,
                              useRegex: json["use_regex"]?.bool ?? true)
        case "Split":
            let pattern = try TextPattern.parse(json["pattern"], file: file, key: "\(key).pattern")
            let name = json["behavior"]?.string ?? "Isolated"
            guard let behavior = SplitBehavior(rawValue: name) else {
                throw TokenizerError(file: file, key: "\(key).behavior", message: "unknown split behavior \"\(name)\"",
                                     hint: "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous")
            }
            return .split(pattern, behavior, invert: json["invert"]?.bool ?? false)
        case "Digits":
            return .digits(individual: json["individual_digits"]?.bool ?? false)
        case "Metaspace":
            let replacement = (json["replacement"]?.string ?? json["str_rep"]?.string ?? "▁").unicodeScalars.first ?? "▁"
            let scheme: PrependScheme
            if let name = json["prepend_scheme"]?.string {
                guard let parsed = PrependScheme(rawValue: name) else {
                    throw TokenizerError(file: file, key: "\(key).prepend_scheme", message: "unknown prepend scheme \"\(name)\"",
                                         hint: "expected always, first or never")
                }
                scheme = parsed
            } else {
                scheme = (json["add_prefix_space"]?.bool ?? true) ? .always : .never
            }
            return .metaspace(replacement: replacement, scheme: scheme, split: json["split"]?.bool ?? true)
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "Sequence":
            let items = json["pretokenizers"]?.array ?? []
            return .sequence(try items.enumerated().compactMap { index, item in
                try parse(item, file: file, key: "\(key).pretokenizers[\(index)]")
            })
        default:
            throw TokenizerError(file: file, key: key, message: "pre-tokenizer type \"\(type)\" is not supported",
                                 hint: "supported: ByteLevel, Split, Digits, Metaspace, Whitespace, WhitespaceSplit, Sequence")
        }
    }

    func apply(_ pieces: [Piece]) -> [Piece] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.apply($0) }
        case .byteLevel(let addPrefixSpace, let useRegex):
            var out: [Piece] = []
            for var piece in pieces {
                if addPrefixSpace && piece.scalars.first != " " { piece.scalars.insert(" ", at: 0) }
                let parts = useRegex
                    ? Self.split(piece, RegexMatcher.gpt2.matches(in: piece.scalars), .isolated, invert: false)
                    : [piece]
                for part in parts {
                    out.append(Piece(scalars: ByteLevelMapping.encode(part.scalars[...]), atOrigin: part.atOrigin))
                }
            }
            return out
        case .split(let pattern, let behavior, let invert):
            return pieces.flatMap { Self.split($0, pattern.matches(in: $0.scalars), behavior, invert: invert) }
        case .digits(let individual):
            return pieces.flatMap { piece in
                let matches = Self.characterMatches(piece.scalars, UnicodeClasses.isNumber)
                return Self.split(piece, matches, individual ? .isolated : .contiguous, invert: false)
            }
        case .metaspace(let replacement, let scheme, let splitOnReplacement):
            return pieces.flatMap { piece -> [Piece] in
                var scalars = piece.scalars.map { $0 == " " ? replacement : $0 }
                let prepend: Bool
                switch scheme {
                case .always: prepend = scalars.first != replacement
                case .first: prepend = scalars.first != replacement && piece.atOrigin
                case .never: prepend = false
                }
                if prepend { scalars.insert(replacement, at: 0) }
                let rewritten = Piece(scalars: scalars, atOrigin: piece.atOrigin)
                guard splitOnReplacement else { return scalars.isEmpty ? [] : [rewritten] }
                let matches = Self.characterMatches(scalars) { $0 == replacement }
                return Self.split(rewritten, matches, .mergedWithNext, invert: false)
            }
        case .whitespace:
            // \w+|[^\w\s]+ kept, whitespace dropped.
            return pieces.flatMap { piece -> [Piece] in
                var ranges: [Range<Int>] = []
                let s = piece.scalars
                var i = 0
                while i < s.count {
                    if UnicodeClasses.isWhitespace(s[i]) { i += 1; continue }
                    let word = UnicodeClasses.isWordCharacter(s[i])
                    var k = i + 1
                    while k < s.count && !UnicodeClasses.isWhitespace(s[k]) && UnicodeClasses.isWordCharacter(s[k]) == word {
                        k += 1
                    }
                    ranges.append(i..<k)
                    i = k
                }
                return Self.split(piece, ranges, .removed, invert: true)
            }
        case .whitespaceSplit:
            return pieces.flatMap { piece in
                Self.split(piece, Self.characterMatches(piece.scalars, UnicodeClasses.isWhitespace), .removed, invert: false)
            }
        }
    }

    /// Each character satisfying `predicate` is one match (Rust's `Fn(char) -> bool` pattern).
    static func characterMatches(_ s: [Unicode.Scalar], _ predicate: (Unicode.Scalar) -> Bool) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for (i, c) in s.enumerated() where predicate(c) { out.append(i..<(i + 1)) }
        return out
    }

    /// `NormalizedString::split`: turns matches into pieces according to `behavior`.
    static func split(_ piece: Piece, _ matches: [Range<Int>], _ behavior: SplitBehavior, invert: Bool) -> [Piece] {
        let s = piece.scalars
        if s.isEmpty { return [] }
        // Segments covering the whole text, flagged as match or not.
        var segments: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = 0
        for m in matches {
            if previous < m.lowerBound { segments.append((previous..<m.lowerBound, false)) }
            segments.append((m, true))
            previous = m.upperBound
        }
        if previous < s.count { segments.append((previous..<s.count, false)) }
        if invert { segments = segments.map { ($0.range, !$0.isMatch) } }

        var kept: [(range: Range<Int>, remove: Bool)] = []
        switch behavior {
        case .isolated:
            kept = segments.map { ($0.range, false) }
        case .removed:
            kept = segments.map { ($0.range, $0.isMatch) }
        case .contiguous:
            var previousMatch = false
            for segment in segments {
                if segment.isMatch == previousMatch, let last = kept.last {
                    kept[kept.count - 1] = (last.range.lowerBound..<segment.range.upperBound, false)
                } else {
                    kept.append((segment.range, false))
                }
                previousMatch = segment.isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for segment in segments {
                if segment.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = (last.range.lowerBound..<segment.range.upperBound, false)
                } else {
                    kept.append((segment.range, false))
                }
                previousMatch = segment.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for segment in segments.reversed() {
                if segment.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = (segment.range.lowerBound..<last.range.upperBound, false)
                } else {
                    kept.append((segment.range, false))
                }
                previousMatch = segment.isMatch
            }
            kept.reverse()
        }
        return kept.compactMap { entry in
            guard !entry.remove, !entry.range.isEmpty else { return nil }
            return Piece(scalars: Array(s[entry.range]), atOrigin: piece.atOrigin && entry.range.lowerBound == 0)
        }
    }
}
