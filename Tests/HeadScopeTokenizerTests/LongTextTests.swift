import Foundation
import HeadScopeTokenizer
import Testing

/// About 100 KB per tokenizer: ids against transformers (by checksum), speed, round trips.
@Suite struct LongTextTests {
    @Test(arguments: Fixtures.tokenizerNames)
    func longTextMatchesTransformers(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let golden = try Fixtures.golden(name)
        let text = golden.longText
        let clock = ContinuousClock()
        var ids: [Int] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text, addSpecialTokens: false) }
        print("\(name): encoded \(text.utf8.count) bytes into \(ids.count) tokens in \(elapsed)")
        #expect(ids.count == golden.long_text.count)
        #expect(TokenizerGolden.checksum(ids) == golden.long_text.checksum)
        // Generous bound for a shared, debug-built machine; release builds are far faster.
        #expect(elapsed < .seconds(20))
    }

    @Test(arguments: ["gpt2", "llama3", "smollm2"])
    func byteLevelRoundTripIsLossless(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let text = try Fixtures.golden(name).longText
        #expect(tokenizer.decode(tokenizer.encode(text, addSpecialTokens: false)) == text)
    }
}
