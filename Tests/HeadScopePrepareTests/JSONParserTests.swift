import Foundation
import Testing
import TestSupport
@testable import HeadScopePrepare

@Suite struct JSONParserTests {
    @Test func parsesNestedValuesKeepingKeyOrder() throws {
        let value = try JSONParser.parse(Data(#"{"z": 1, "a": [true, null, "x\u00e9\n"], "m": {"k": -2.5e1}}"#.utf8), source: "t")
        #expect(value.objectValue?.map(\.0) == ["z", "a", "m"])
        #expect(value["a"] == .array([.bool(true), .null, .string("xé\n")]))
        #expect(value["m"]?["k"] == .number(-25))
        #expect(value.serialized() == #"{"z":1,"a":[true,null,"xé\n"],"m":{"k":-25}}"#)
    }

    @Test func reportsLineAndColumnOfASyntaxError() {
        let text = "[\n  {\"question\": \"a\",\n   \"answer\": \"b\",,\n  }\n]"
        do {
            _ = try JSONParser.parse(Data(text.utf8), source: "q.json")
            Issue.record("expected an error")
        } catch let error as JSONSyntaxError {
            // The second comma on line 3 is at column 18.
            #expect(error.line == 3)
            #expect(error.column == 18)
            #expect(error.description.hasPrefix("q.json:3:18: malformed JSON"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func jsonLinesErrorsNameTheFileLine() {
        let text = "{\"a\": 1}\n\n{\"a\": 2\n"
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parseLines(Data(text.utf8), source: "x.jsonl") }
        do { _ = try JSONParser.parseLines(Data(text.utf8), source: "x.jsonl") } catch let e as JSONSyntaxError {
            #expect(e.line == 3)
        } catch { Issue.record("\(error)") }
    }

    @Test func rejectsTrailingGarbageAndBadEscapes() {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Data("{} x".utf8), source: "t") }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Data(#"["\q"]"#.utf8), source: "t") }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Data("[01".utf8), source: "t") }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Data(String(repeating: "[", count: 600).utf8), source: "t") }
    }

    @Test func serializationMatchesPythonsJSONReading() throws {
        let value = OrderedJSON.object([("q", .string("tab\tquote\"slash/\u{1}")), ("n", .number(3)), ("f", .number(0.5))])
        let text = value.serialized()
        let out = try TestSupport.python("import json,sys; d=json.loads(sys.argv[1]); print(repr(d['q']), d['n'], d['f'])", [text])
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == #"'tab\tquote"slash/\x01' 3 0.5"#)
    }
}
