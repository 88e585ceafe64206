import Foundation
import HeadScopeCore

/// A JSON value that keeps object keys in the order they were written.
///
/// Prepared files promise a fixed key order (so two runs are byte-identical and a reader sees
/// `id` first); Foundation's encoders either reorder keys or sort them alphabetically, so the
/// stage builds its output from this type and serialises it with `OrderedJSON.serialized()`.
public enum OrderedJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    public static func == (lhs: OrderedJSON, rhs: OrderedJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value for `key` when this is an object (first occurrence), else nil.
    public subscript(key: String) -> OrderedJSON? {
        if case let .object(pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    /// The string payload, or nil.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The number payload as an Int when it is integral, or nil.
    public var intValue: Int? {
        if case let .number(d) = self, d.rounded() == d, abs(d) < 1e15 { return Int(d) }
        return nil
    }

    /// The array payload, or nil.
    public var arrayValue: [OrderedJSON]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// The object's pairs, or nil.
    public var objectValue: [(String, OrderedJSON)]? {
        if case let .object(o) = self { return o }
        return nil
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Compact JSON text: no spaces, keys in stored order, `/` not escaped, integers without a
    /// fraction. Deterministic for a given value.
    public func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += OrderedJSON.format(d)
        case .string(let s): OrderedJSON.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out += "," }
                OrderedJSON.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    private static func format(_ d: Double) -> String {
        if !d.isFinite { return "null" }
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += JSONText.quoted(s)
    }
}

extension OrderedJSON {
    /// Pretty JSON text with two-space indentation and a trailing newline, keys in stored order.
    public func prettySerialized() -> String {
        var out = ""
        prettyWrite(to: &out, indent: 0)
        return out + "\n"
    }

    private func prettyWrite(to out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch self {
        case .array(let items) where !items.isEmpty:
            // Arrays of scalars stay on one line; arrays of containers get one element per line.
            let scalars = items.allSatisfy {
                if case .array = $0 { return false }
                if case .object = $0 { return false }
                return true
            }
            if scalars { out += serialized(); return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.prettyWrite(to: &out, indent: indent + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += closePad + "]"
        case .object(let pairs) where !pairs.isEmpty:
            out += "{\n"
            for (i, (key, value)) in pairs.enumerated() {
                out += pad + OrderedJSON.string(key).serialized() + ": "
                value.prettyWrite(to: &out, indent: indent + 1)
                out += i + 1 < pairs.count ? ",\n" : "\n"
            }
            out += closePad + "}"
        default:
            out += serialized()
        }
    }
}
