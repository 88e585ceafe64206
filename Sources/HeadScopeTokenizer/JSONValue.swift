import Foundation

/// A parsed JSON value, used for the heterogeneous parts of `tokenizer.json` and
/// `tokenizer_config.json` (component objects whose keys depend on their `type`).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON bytes; `file` names the source in the error. Foundation's parser does the
    /// heavy lifting (a 2 MB tokenizer.json has ~100k entries).
    static func parse(_ data: Data, file: String) throws -> JSONValue {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TokenizerError(file: file, message: "is not valid JSON (\(error.localizedDescription))",
                                 hint: "re-export the file with transformers' save_pretrained")
        }
        return JSONValue(foundation: object)
    }

    /// Converts a `JSONSerialization` result.
    init(foundation object: Any) {
        switch object {
        case let text as String:
            self = .string(text)
        case let dictionary as [String: Any]:
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(dictionary.count)
            for (key, value) in dictionary { out[key] = JSONValue(foundation: value) }
            self = .object(out)
        case let array as [Any]:
            self = .array(array.map(JSONValue.init(foundation:)))
        case let number as NSNumber:
            // Booleans arrive as NSNumber (CFBoolean) too; their Objective-C type is "c" (char),
            // while JSON integers come as "i"/"q" and fractions as "d".
            if String(cString: number.objCType) == "c" {
                self = .bool(number.boolValue)
            } else {
                self = .number(number.doubleValue)
            }
        case is NSNull:
            self = .null
        default:
            self = .null
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self, let value = object[key], value != .null { return value }
        return nil
    }

    var string: String? { if case .string(let value) = self { return value }; return nil }
    var bool: Bool? { if case .bool(let value) = self { return value }; return nil }
    var array: [JSONValue]? { if case .array(let value) = self { return value }; return nil }
    var object: [String: JSONValue]? { if case .object(let value) = self { return value }; return nil }
    var int: Int? {
        if case .number(let value) = self, value == value.rounded(), abs(value) < 9e15 { return Int(value) }
        return nil
    }
    var double: Double? { if case .number(let value) = self { return value }; return nil }
}
