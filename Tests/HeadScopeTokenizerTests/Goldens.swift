import Foundation
import HeadScopeTokenizer
import TestSupport

/// Reference outputs written by scripts/fixtures/tokenizer.py (transformers 5.23, tokenizers 0.23).
struct TokenizerGolden: Decodable {
    struct Case: Decodable {
        var text: String
        var ids: [Int]
        var ids_plain: [Int]
        var tokens: [String]
        var raw_ids: [Int]?
        var raw_ids_plain: [Int]?
        var decode: String
        var decode_skip: String
        var raw_decode: String?
    }
    struct DecodeCase: Decodable {
        var ids: [Int]
        var decode: String
        var decode_skip: String
    }
    struct Info: Decodable {
        var vocab_size_with_added: Int
        var bos_token: String?
        var eos_token: String?
        var bos_token_id: Int?
        var eos_token_id: Int?
        var probes: [Probe]
    }
    struct Probe: Decodable {
        var id: Int
        var token: String
        var back: Int?
    }
    struct LongText: Decodable {
        var `repeat`: Int
        var count: Int
        var checksum: Int
    }
    var info: Info
    var cases: [Case]
    var decodes: [DecodeCase]
    var long_text: LongText

    /// The ~100 KB text the checksum was computed on: the corpus and the case texts joined by
    /// newlines, repeated.
    var longText: String {
        let joined = Fixtures.corpus + cases.map(\.text).joined(separator: "\n")
        return Array(repeating: joined, count: long_text.`repeat`).joined(separator: "\n")
    }

    /// Sum of (position + 1) * id modulo 2^61 - 1, as the fixture script computes it.
    static func checksum(_ ids: [Int]) -> Int {
        let modulus = (1 << 61) - 1
        var total = 0
        for (index, id) in ids.enumerated() {
            total = (total + Int((Int64(index + 1).multipliedFullWidth(by: Int64(id)).low) % UInt64(modulus))) % modulus
        }
        return total
    }
}

struct ChatGolden: Decodable {
    struct Message: Decodable {
        var role: String
        var content: Content
    }
    enum Content: Decodable {
        case text(String)
        case parts([[String: String]])
        init(from decoder: Swift.Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .text(text) } else {
                self = .parts(try container.decode([[String: String]].self))
            }
        }
    }
    var template: String
    var tokenizer: String
    var messages: [Message]
    var add_generation_prompt: Bool
    var add_vision_id: Bool
    var rendered: String
    var ids: [Int]
}

enum Fixtures {
    static let root = TestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/tokenizer")
    static let tokenizerNames = ["gpt2", "gpt2-digits", "gpt2-prefix", "llama3", "qwen2", "qwen2-split", "llama2", "llama2-metaspace", "llama2-unk", "misc-split", "misc-metaspace", "misc-whitespace", "smollm2"]

    static func folder(_ name: String) -> URL { root.appendingPathComponent(name) }

    static let corpus: String = (try? String(contentsOf: root.appendingPathComponent("corpus.txt"), encoding: .utf8)) ?? ""

    static func golden(_ name: String) throws -> TokenizerGolden {
        let data = try Data(contentsOf: folder(name).appendingPathComponent("golden.json"))
        return try JSONDecoder().decode(TokenizerGolden.self, from: data)
    }

    static func chatGoldens() throws -> [ChatGolden] {
        let data = try Data(contentsOf: root.appendingPathComponent("chat/golden.json"))
        return try JSONDecoder().decode([ChatGolden].self, from: data)
    }

    static func template(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("chat/\(name).jinja"), encoding: .utf8)
    }

    private static let cache = TokenizerCache()

    static func tokenizer(_ name: String, pipeline: Tokenizer.Pipeline = .transformers) throws -> Tokenizer {
        try cache.get("\(name)|\(pipeline)") { try Tokenizer(directory: folder(name), pipeline: pipeline) }
    }
}

/// Loads each fixture tokenizer once per test process (the SmolLM2 one takes a moment).
final class TokenizerCache: @unchecked Sendable {
    private var items: [String: Tokenizer] = [:]
    private let lock = NSLock()

    func get(_ key: String, _ make: () throws -> Tokenizer) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let hit = items[key] { return hit }
        let made = try make()
        items[key] = made
        return made
    }
}
