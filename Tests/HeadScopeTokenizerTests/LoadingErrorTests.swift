import Foundation
import HeadScopeTokenizer
import Testing
import TestSupport

/// Bad files give errors that name the file, the key and what is wrong.
@Suite struct LoadingErrorTests {
    /// A minimal valid byte-level tokenizer.json, edited by each test.
    static func tokenizerJSON(model: String) -> Data {
        Data("""
        {"version": "1.0", "added_tokens": [], "normalizer": null,
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
         "post_processor": null, "decoder": {"type": "ByteLevel"},
         "model": \(model)}
        """.utf8)
    }

    static func error(_ body: () throws -> Void) -> TokenizerError? {
        do {
            try body()
            return nil
        } catch let error as TokenizerError {
            return error
        } catch {
            return nil
        }
    }

    @Test func minimalTokenizerWorks() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Self.tokenizerJSON(model: """
            {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "true": 4}, "merges": ["a b"]}
            """))
        #expect(tokenizer.encode("ab ab") == [2, 3, 2])
        #expect(tokenizer.decode([2, 3, 2]) == "ab ab")
        #expect(tokenizer.tokenToID("true") == 4)
    }

    @Test func unknownModelType() {
        let error = Self.error {
            _ = try Tokenizer(tokenizerJSON: Self.tokenizerJSON(model: #"{"type": "WordPiece", "vocab": {"a": 0}}"#))
        }
        #expect(error?.key == "model.type")
        #expect(error?.description.contains("\"WordPiece\" is not supported") == true)
    }

    @Test func missingMerges() {
        let error = Self.error {
            _ = try Tokenizer(tokenizerJSON: Self.tokenizerJSON(model: #"{"type": "BPE", "vocab": {"a": 0}}"#))
        }
        #expect(error?.key == "model.merges")
        #expect(error?.description.contains("no merges") == true)
    }

    @Test func mergeOutsideVocabulary() {
        let error = Self.error {
            _ = try Tokenizer(tokenizerJSON: Self.tokenizerJSON(model: """
                {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}
                """))
        }
        #expect(error?.key == "model.merges[0]")
        #expect(error?.description.contains("\"ab\" is not in the vocab") == true)
    }

    @Test func malformedMerge() {
        let error = Self.error {
            _ = try Tokenizer(tokenizerJSON: Self.tokenizerJSON(model: """
                {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "ab"]}
                """))
        }
        #expect(error?.key == "model.merges[1]")
    }

    @Test func unsupportedComponents() {
        let json = String(decoding: Self.tokenizerJSON(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": []}"#), as: UTF8.self)
        let bert = json.replacingOccurrences(of: #""normalizer": null"#, with: #""normalizer": {"type": "BertNormalizer"}"#)
        let error = Self.error { _ = try Tokenizer(tokenizerJSON: Data(bert.utf8)) }
        #expect(error?.key == "normalizer")
        #expect(error?.description.contains("BertNormalizer") == true)
    }

    @Test func notJSONAndMissingFiles() throws {
        let error = Self.error { _ = try Tokenizer(tokenizerJSON: Data("{\"model\": ".utf8)) }
        #expect(error?.file == "tokenizer.json")
        #expect(error?.description.contains("not valid JSON") == true)

        let empty = try TestSupport.scratchDirectory("tokenizer-missing")
        let missing = Self.error { _ = try Tokenizer(directory: empty) }
        #expect(missing?.file.hasSuffix("tokenizer.json") == true)
        #expect(missing?.hint?.contains("save_pretrained") == true)
    }

    @Test func chatTemplateMissing() throws {
        let tokenizer = try Fixtures.tokenizer("gpt2")
        let error = Self.error { _ = try tokenizer.applyChatTemplate([ChatMessage(role: "user", text: "hi")]) }
        #expect(error?.description.contains("no chat template") == true)
    }
}
