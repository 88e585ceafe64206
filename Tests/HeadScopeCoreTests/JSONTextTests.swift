import Foundation
import Testing
import HeadScopeCore

@Suite("JSONText")
struct JSONTextTests {
    @Test("quoted strings parse back to the original, control characters as \\u escapes")
    func roundTrip() throws {
        let samples = ["plain", "say \"hi\"", "back\\slash", "line\nbreak\ttab\rreturn", "bell\u{07}nul\u{00}", "ünïcødé ✓ 🙂", ""]
        for sample in samples {
            let quoted = JSONText.quoted(sample)
            let parsed = try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: .fragmentsAllowed) as? String
            #expect(parsed == sample, "\(quoted)")
        }
        #expect(JSONText.quoted("a\u{01}b") == "\"a\\u0001b\"")
        #expect(JSONText.quoted("\u{1f}") == "\"\\u001f\"")
    }
}
