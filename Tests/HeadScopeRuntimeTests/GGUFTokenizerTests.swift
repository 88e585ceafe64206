import Foundation
@testable import HeadScopeRuntime
import HeadScopeTokenizer
import HeadScopeWeights
import Testing
import TestSupport

@Suite("Tokenizer from GGUF metadata")
struct GGUFTokenizerTests {
    struct Golden: Decodable {
        struct Case: Decodable { var text: String; var ids: [Int]; var ids_plain: [Int]; var decode_skip: String? }
        var cases: [Case]
    }

    @Test("SmolLM2's GGUF tokenizer gives transformers' ids on the committed fixture strings")
    func smollm2() throws {
        guard RuntimeFixtures.weightsPresent() else { return }
        let tokenizer = try GGUFTokenizer.load(GGUFFile(path: RuntimeFixtures.smolGGUF.path))
        let url = RuntimeFixtures.root.appendingPathComponent("Tests/Fixtures/tokenizer/smollm2/golden.json")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        #expect(golden.cases.count > 50)
        for c in golden.cases {
            #expect(tokenizer.encode(c.text) == c.ids, "\(c.text.debugDescription)")
            #expect(tokenizer.encode(c.text, addSpecialTokens: false) == c.ids_plain, "\(c.text.debugDescription)")
            if let skip = c.decode_skip { #expect(tokenizer.decode(c.ids, skipSpecialTokens: true) == skip) }
        }
        #expect(tokenizer.eosTokenID == 2 && tokenizer.bosTokenID == 1)
        // The chat template from the metadata renders as the checkpoint folder's does.
        let folder = try Tokenizer(directory: RuntimeFixtures.root.appendingPathComponent("Tests/Fixtures/tokenizer/smollm2"))
        let messages = [ChatMessage(role: "user", text: "<image>\nWhat colour is the cube?")]
        #expect(try tokenizer.applyChatTemplate(messages) == folder.applyChatTemplate(messages))
    }

    @Test("a GGUF file without a byte-level BPE tokenizer is refused with the key")
    func unsupported() throws {
        let file = try GGUFFile(path: RuntimeFixtures.root.appendingPathComponent("Tests/Fixtures/engine/gguf_llama/tiny-llama.gguf").path)
        do {
            _ = try GGUFTokenizer.load(file)
            if file.metadata["tokenizer.ggml.model"]?.stringValue != "gpt2" { Issue.record("loaded without a gpt2 tokenizer") }
        } catch let error as RuntimeError {
            #expect(error.description.contains("tokenizer.ggml"), "\(error)")
        }
    }
}
