import Foundation

/// A `pattern` entry of `tokenizer.json` (`{"String": ...}` or `{"Regex": ...}`), matched on
/// Unicode scalars, as the Rust implementation matches on `char`s.
enum TextPattern {
    case literal([Unicode.Scalar])
    case regex(RegexMatcher)

    static func parse(_ json: JSONValue?, file: String, key: String) throws -> TextPattern {
        if let literal = json?["String"]?.string {
            return .literal(Array(literal.unicodeScalars))
        }
        if let regex = json?["Regex"]?.string {
            return .regex(try RegexMatcher(pattern: regex, file: file, key: key))
        }
        if let literal = json?.string {
            return .literal(Array(literal.unicodeScalars))
        }
        throw TokenizerError(file: file, key: key, message: "pattern must be {\"String\": ...} or {\"Regex\": ...}")
    }

    /// Non-overlapping matches, left to right, as index ranges into `text`.
    func matches(in text: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case .regex(let matcher):
            return matcher.matches(in: text)
        case .literal(let needle):
            guard !needle.isEmpty, needle.count <= text.count else { return [] }
            var out: [Range<Int>] = []
            var i = 0
            let first = needle[0]
            while i + needle.count <= text.count {
                if text[i] == first && text[i..<(i + needle.count)].elementsEqual(needle) {
                    out.append(i..<(i + needle.count))
                    i += needle.count
                } else {
                    i += 1
                }
            }
            return out
        }
    }

    /// Replaces every match with `content` (the Replace normalizer and decoder).
    func replaceAll(in text: [Unicode.Scalar], with content: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let found = matches(in: text)
        if found.isEmpty { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count + found.count * content.count)
        var last = 0
        for range in found {
            out.append(contentsOf: text[last..<range.lowerBound])
            out.append(contentsOf: content)
            last = range.upperBound
        }
        out.append(contentsOf: text[last...])
        return out
    }
}

/// The pre-tokenization regexes. The patterns of GPT-2, Llama-3 and Qwen2 (the ones the supported
/// checkpoints use) are matched by exact hand-written scanners, which are much faster than a
/// general engine; any other pattern goes to `NSRegularExpression` (ICU), whose `\s`, `\p{L}`,
/// `\p{N}` agree with Oniguruma's on the characters such patterns use.
enum RegexMatcher {
    case gpt2
    case llama3
    case qwen2
    case general(NSRegularExpression)

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    init(pattern: String, file: String, key: String) throws {
        switch pattern {
        case Self.gpt2Pattern: self = .gpt2
        case Self.llama3Pattern: self = .llama3
        case Self.qwen2Pattern: self = .qwen2
        default:
            do {
                self = .general(try NSRegularExpression(pattern: pattern, options: []))
            } catch {
                throw TokenizerError(file: file, key: key, message: "regex \(pattern) does not compile (\(error))",
                                     hint: "only patterns ICU accepts can be used")
            }
        }
    }

    func matches(in text: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case .gpt2: return Self.scan(text, next: Self.gpt2Match)
        case .llama3: return Self.scan(text) { Self.llamaMatch($0, $1, maxDigits: 3) }
        case .qwen2: return Self.scan(text) { Self.llamaMatch($0, $1, maxDigits: 1) }
        case .general(let regex): return Self.generalMatches(regex, text)
        }
    }

    // MARK: Hand-written scanners (every character is covered by one alternative of these patterns)

    private static func scan(_ s: [Unicode.Scalar], next: ([Unicode.Scalar], Int) -> Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < s.count {
            let end = max(next(s, i), i + 1)
            out.append(i..<end)
            i = end
        }
        return out
    }

    private typealias U = UnicodeClasses

    @inline(__always) private static func isOther(_ c: Unicode.Scalar) -> Bool {
        !U.isWhitespace(c) && !U.isLetter(c) && !U.isNumber(c)
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, optionally case-insensitive (Unicode case folding, so the long s
    /// U+017F matches `s` as in Oniguruma).
    private static func contraction(_ s: [Unicode.Scalar], _ i: Int, ignoreCase: Bool) -> Int? {
        guard s[i] == "'", i + 1 < s.count else { return nil }
        func fold(_ c: Unicode.Scalar) -> UInt32 {
            guard ignoreCase else { return c.value }
            if c.value == 0x17F { return 0x73 }
            if c.value >= 0x41 && c.value <= 0x5A { return c.value | 0x20 }
            return c.value
        }
        let a = fold(s[i + 1])
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76:  // re ve
            if i + 2 < s.count && fold(s[i + 2]) == 0x65 { return i + 3 }
        case 0x6C:  // ll
            if i + 2 < s.count && fold(s[i + 2]) == 0x6C { return i + 3 }
        default: break
        }
        return nil
    }

    /// `\s+(?!\S)|\s+` from `i` (which is whitespace).
    @inline(__always) private static func whitespaceRun(_ s: [Unicode.Scalar], _ i: Int) -> Int {
        var k = i
        while k < s.count && U.isWhitespace(s[k]) { k += 1 }
        if k == s.count { return k }
        if k - i >= 2 { return k - 1 }
        return k
    }

    private static func gpt2Match(_ s: [Unicode.Scalar], _ i: Int) -> Int {
        if let end = contraction(s, i, ignoreCase: false) { return end }
        let n = s.count
        let j = s[i] == " " ? i + 1 : i
        if j < n {
            let c = s[j]
            if U.isLetter(c) {
                var k = j + 1
                while k < n && U.isLetter(s[k]) { k += 1 }
                return k
            }
            if U.isNumber(c) {
                var k = j + 1
                while k < n && U.isNumber(s[k]) { k += 1 }
                return k
            }
            if isOther(c) {
                var k = j + 1
                while k < n && isOther(s[k]) { k += 1 }
                return k
            }
        }
        return whitespaceRun(s, i)
    }

    private static func llamaMatch(_ s: [Unicode.Scalar], _ i: Int, maxDigits: Int) -> Int {
        if let end = contraction(s, i, ignoreCase: true) { return end }
        let n = s.count
        let c = s[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if U.isLetter(c) {
            var k = i + 1
            while k < n && U.isLetter(s[k]) { k += 1 }
            return k
        }
        if c != "\r" && c != "\n" && !U.isNumber(c) && i + 1 < n && U.isLetter(s[i + 1]) {
            var k = i + 2
            while k < n && U.isLetter(s[k]) { k += 1 }
            return k
        }
        // \p{N}{1,maxDigits}
        if U.isNumber(c) {
            var k = i + 1
            while k < n && k - i < maxDigits && U.isNumber(s[k]) { k += 1 }
            return k
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        let j = c == " " ? i + 1 : i
        if j < n && isOther(s[j]) {
            var k = j + 1
            while k < n && isOther(s[k]) { k += 1 }
            while k < n && (s[k] == "\r" || s[k] == "\n") { k += 1 }
            return k
        }
        // \s*[\r\n]+ : up to the last line break of the whitespace run
        var k = i
        var lastBreak = -1
        while k < n && U.isWhitespace(s[k]) {
            if s[k] == "\r" || s[k] == "\n" { lastBreak = k }
            k += 1
        }
        if lastBreak >= 0 { return lastBreak + 1 }
        return whitespaceRun(s, i)
    }

    // MARK: General patterns

    private static func generalMatches(_ regex: NSRegularExpression, _ text: [Unicode.Scalar]) -> [Range<Int>] {
        var string = String.UnicodeScalarView()
        string.append(contentsOf: text)
        let ns = String(string)
        let utf16Count = ns.utf16.count
        // Map UTF-16 offsets back to scalar indices; the identity unless there are surrogate pairs.
        var utf16ToScalar: [Int] = []
        if utf16Count != text.count {
            utf16ToScalar = [Int](repeating: 0, count: utf16Count + 1)
            var offset = 0
            for (index, scalar) in text.enumerated() {
                utf16ToScalar[offset] = index
                if scalar.value > 0xFFFF { utf16ToScalar[offset + 1] = index; offset += 2 } else { offset += 1 }
            }
            utf16ToScalar[offset] = text.count
        }
        func scalarIndex(_ utf16Offset: Int) -> Int {
            utf16ToScalar.isEmpty ? utf16Offset : utf16ToScalar[utf16Offset]
        }
        var out: [Range<Int>] = []
        let whole = NSRange(location: 0, length: utf16Count)
        for match in regex.matches(in: ns, options: [], range: whole) where match.range.length > 0 {
            let lower = scalarIndex(match.range.location)
            let upper = scalarIndex(match.range.location + match.range.length)
            if lower < upper { out.append(lower..<upper) }
        }
        return out
    }
}
