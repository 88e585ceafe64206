import Foundation
import HeadScopeTokenizer
import Testing

/// Ids and decodes against transformers' AutoTokenizer and the bare `tokenizers` pipeline.
@Suite struct EncodingTests {
    @Test(arguments: Fixtures.tokenizerNames)
    func idsMatchTransformers(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for item in try Fixtures.golden(name).cases {
            #expect(tokenizer.encode(item.text) == item.ids, "\(name): \(item.text.debugDescription)")
            let plain = tokenizer.encode(item.text, addSpecialTokens: false)
            #expect(plain == item.ids_plain, "\(name) (no special tokens): \(item.text.debugDescription)")
            #expect(plain.map { tokenizer.idToToken($0) ?? "?" } == item.tokens, "\(name) tokens: \(item.text.debugDescription)")
        }
    }

    @Test(arguments: Fixtures.tokenizerNames)
    func idsMatchTokenizerJSONPipeline(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, pipeline: .tokenizerJSON)
        for item in try Fixtures.golden(name).cases {
            #expect(tokenizer.encode(item.text) == item.raw_ids ?? item.ids, "\(name): \(item.text.debugDescription)")
            #expect(tokenizer.encode(item.text, addSpecialTokens: false) == item.raw_ids_plain ?? item.ids_plain,
                    "\(name) (no special tokens): \(item.text.debugDescription)")
        }
    }

    @Test(arguments: Fixtures.tokenizerNames)
    func decodeMatchesTransformers(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let golden = try Fixtures.golden(name)
        for item in golden.cases {
            #expect(tokenizer.decode(item.ids) == item.decode, "\(name): \(item.text.debugDescription)")
            #expect(tokenizer.decode(item.ids, skipSpecialTokens: true) == item.decode_skip,
                    "\(name) skipping special: \(item.text.debugDescription)")
        }
        for item in golden.decodes {
            #expect(tokenizer.decode(item.ids) == item.decode, "\(name): ids \(item.ids)")
            #expect(tokenizer.decode(item.ids, skipSpecialTokens: true) == item.decode_skip, "\(name) skipping special: \(item.ids)")
        }
    }

    @Test(arguments: Fixtures.tokenizerNames)
    func rawDecodeMatchesTokenizers(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, pipeline: .tokenizerJSON)
        for item in try Fixtures.golden(name).cases {
            #expect(tokenizer.decode(item.ids) == item.raw_decode ?? item.decode, "\(name): \(item.text.debugDescription)")
        }
    }

    @Test(arguments: Fixtures.tokenizerNames)
    func specialTokensAndVocabulary(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let info = try Fixtures.golden(name).info
        #expect(tokenizer.vocabularySize == info.vocab_size_with_added)
        #expect(tokenizer.bosToken == info.bos_token)
        #expect(tokenizer.eosToken == info.eos_token)
        #expect(tokenizer.bosTokenID == info.bos_token_id)
        #expect(tokenizer.eosTokenID == info.eos_token_id)
        for probe in info.probes {
            #expect(tokenizer.idToToken(probe.id) == probe.token, "\(name) id \(probe.id)")
            #expect(tokenizer.tokenToID(probe.token) == probe.back, "\(name) token \(probe.token)")
        }
    }
}
