import Foundation
@testable import HeadScopeTokenizer
import Testing

/// The hand-written scanners for the GPT-2, Llama-3 and Qwen2 patterns against ICU running the
/// same patterns (the ids goldens already check them against Oniguruma through `tokenizers`).
@Suite struct RegexScannerTests {
    static let patterns: [(String, RegexMatcher)] = [
        (RegexMatcher.gpt2Pattern, .gpt2), (RegexMatcher.llama3Pattern, .llama3), (RegexMatcher.qwen2Pattern, .qwen2),
    ]

    @Test func scannersAgreeWithICU() throws {
        var texts = try Fixtures.golden("qwen2").cases.map(\.text)
        texts.append(Fixtures.corpus)
        for (pattern, scanner) in Self.patterns {
            let icu = RegexMatcher.general(try NSRegularExpression(pattern: pattern))
            for text in texts {
                let scalars = Array(text.unicodeScalars)
                #expect(scanner.matches(in: scalars) == icu.matches(in: scalars), "\(scanner): \(text.debugDescription)")
            }
        }
    }

    @Test func knownPatternsAreRecognised() throws {
        for (pattern, expected) in Self.patterns {
            let matcher = try RegexMatcher(pattern: pattern, file: "test", key: "pattern")
            #expect("\(matcher)" == "\(expected)")
        }
        let other = try RegexMatcher(pattern: #"\s+"#, file: "test", key: "pattern")
        #expect("\(other)".hasPrefix("general"))
        #expect(throws: TokenizerError.self) { try RegexMatcher(pattern: "(unclosed", file: "test", key: "pattern") }
    }
}
