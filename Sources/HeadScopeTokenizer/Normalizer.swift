import Foundation

/// The `normalizer` of `tokenizer.json`: rewrites text before pre-tokenization.
indirect enum Normalizer {
    case nfc, nfd, nfkc, nfkd
    case lowercase
    case prepend([Unicode.Scalar])
    case replace(TextPattern, [Unicode.Scalar])
    case strip(left: Bool, right: Bool)
    case sequence([Normalizer])

    static func parse(_ json: JSONValue?, file: String, key: String = "normalizer") throws -> Normalizer? {
        guard let json else { return nil }
        guard let type = json["type"]?.string else {
            throw TokenizerError(file: file, key: key, message: "normalizer has no \"type\"")
        }
        switch type {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Prepend":
            return .prepend(Array((json["prepend"]?.string ?? "").unicodeScalars))
        case "Replace":
            let pattern = try TextPattern.parse(json["pattern"], file: file, key: "\(key).pattern")
            return .replace(pattern, Array((json["content"]?.string ?? "").unicodeScalars))
        case "Strip":
            return .strip(left: json["strip_left"]?.bool ?? true, right: json["strip_right"]?.bool ?? true)
        case "Sequence":
            let items = json["normalizers"]?.array ?? []
            return .sequence(try items.enumerated().compactMap { index, item in
                try parse(item, file: file, key: "\(key).normalizers[\(index)]")
            })
        default:
            throw TokenizerError(file: file, key: key, message: "normalizer type \"\(type)\" is not supported",
                                 hint: "supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence")
        }
    }

    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        switch self {
        case .nfc:
            // ASCII text is already in every normal form; skip the Foundation round trip.
            if text.allSatisfy({ $0.value < 0x80 }) { return text }
            return Self.foundation(text) { $0.precomposedStringWithCanonicalMapping }
        case .nfd: return Self.foundation(text) { $0.decomposedStringWithCanonicalMapping }
        case .nfkc: return Self.foundation(text) { $0.precomposedStringWithCompatibilityMapping }
        case .nfkd: return Self.foundation(text) { $0.decomposedStringWithCompatibilityMapping }
        case .lowercase: return Self.foundation(text) { $0.lowercased() }
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case .replace(let pattern, let content):
            return pattern.replaceAll(in: text, with: content)
        case .strip(let left, let right):
            var lower = 0
            var upper = text.count
            if left { while lower < upper && UnicodeClasses.isWhitespace(text[lower]) { lower += 1 } }
            if right { while upper > lower && UnicodeClasses.isWhitespace(text[upper - 1]) { upper -= 1 } }
            return Array(text[lower..<upper])
        case .sequence(let steps):
            return steps.reduce(text) { $1.normalize($0) }
        }
    }

    private static func foundation(_ text: [Unicode.Scalar], _ body: (String) -> String) -> [Unicode.Scalar] {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: text)
        return Array(body(String(view)).unicodeScalars)
    }
}
