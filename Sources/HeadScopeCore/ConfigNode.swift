import Foundation
import Yams

/// One value in a pipeline config, with its position in the file and its full key path.
///
/// Mappings offer typed accessors by key (`int("shard_rows")`, `enumValue("method", as:)`, …)
/// that throw a `ConfigError` naming file, line, column, key path, what was expected and what
/// was found. Scalars keep YAML's typing: `8` is an integer, `"8"` (quoted) is a string, `8.0`
/// is a number; an integer is accepted where a number is expected. An explicit `null` (or an
/// empty value) counts as absent for the optional accessors and as an error for required ones.
public struct ConfigNode: Sendable {
    /// The shape and content of the node.
    public enum Value: Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case sequence([ConfigNode])
        case mapping([Entry])
    }

    /// A key of a mapping with its own position, and its value.
    public struct Entry: Sendable {
        public var key: String
        public var keyLine: Int
        public var keyColumn: Int
        public var value: ConfigNode
    }

    public let value: Value
    /// The full key path (`extract.shard_rows`, `probe.layers[2]`); empty for the root.
    public let keyPath: String
    /// 1-based line and column of the value.
    public let line: Int
    public let column: Int
    /// Line and column of the key this value belongs to, nil for the root and list elements.
    public let keyLine: Int?
    public let keyColumn: Int?
    let source: ConfigSource

    /// The config file's name as the user gave it.
    public var file: String { source.displayPath }
    /// The directory relative paths resolve against.
    public var baseDirectory: URL { source.baseDirectory }

    // MARK: Building from Yams nodes

    static func build(_ node: Node, keyPath: String, keyPosition: (line: Int, column: Int)?, source: ConfigSource) throws -> ConfigNode {
        let line = node.mark?.line ?? keyPosition?.line ?? 1
        let column = node.mark?.column ?? keyPosition?.column ?? 1
        let value: Value
        switch node {
        case .scalar(let scalar):
            value = scalarValue(node, scalar)
        case .sequence(let sequence):
            value = .sequence(try sequence.enumerated().map { index, element in
                try build(element, keyPath: "\(keyPath)[\(index)]", keyPosition: nil, source: source)
            })
        case .mapping(let mapping):
            var entries: [Entry] = []
            var seen: [String: Int] = [:]
            for (keyNode, valueNode) in mapping {
                let keyLine = keyNode.mark?.line ?? line, keyColumn = keyNode.mark?.column ?? column
                guard case .scalar(let keyScalar) = keyNode else {
                    throw source.error(line: keyLine, column: keyColumn, keyPath: keyPath,
                                       "expected a plain key, found a \(keyNode.mapping != nil ? "mapping" : "list") used as a key")
                }
                let key = keyScalar.string
                let childPath = keyPath.isEmpty ? key : "\(keyPath).\(key)"
                if let first = seen[key] {
                    throw source.error(line: keyLine, column: keyColumn, keyPath: childPath,
                                       "duplicate key (first given at line \(first)); keep one of them")
                }
                seen[key] = keyLine
                let child = try build(valueNode, keyPath: childPath, keyPosition: (keyLine, keyColumn), source: source)
                entries.append(Entry(key: key, keyLine: keyLine, keyColumn: keyColumn, value: child))
            }
            value = .mapping(entries)
        }
        return ConfigNode(value: value, keyPath: keyPath, line: line, column: column,
                          keyLine: keyPosition?.line, keyColumn: keyPosition?.column, source: source)
    }

    /// YAML 1.1 core typing of a scalar, except that quoted and block scalars are always strings.
    private static func scalarValue(_ node: Node, _ scalar: Node.Scalar) -> Value {
        let explicitTag = scalar.tag.description
        if explicitTag.isEmpty && scalar.style != .plain && scalar.style != .any {
            return .string(scalar.string)
        }
        switch node.tag.description {
        case "tag:yaml.org,2002:null": return .null
        case "tag:yaml.org,2002:bool": return node.bool.map(Value.bool) ?? .string(scalar.string)
        case "tag:yaml.org,2002:int":
            if let int = node.int { return .int(int) }
            return node.float.map(Value.double) ?? .string(scalar.string)   // too large for Int
        case "tag:yaml.org,2002:float": return node.float.map(Value.double) ?? .string(scalar.string)
        default: return .string(scalar.string)
        }
    }

    // MARK: Describing

    /// How the node is described in "found …" messages.
    public var foundDescription: String {
        switch value {
        case .null: return "an empty value (null)"
        case .bool(let b): return "the boolean \(b)"
        case .int(let i): return "the integer \(i)"
        case .double(let d): return "the number \(d)"
        case .string(let s): return "the string \"\(s)\""
        case .sequence(let items): return "a list of \(items.count) item\(items.count == 1 ? "" : "s")"
        case .mapping: return "a mapping"
        }
    }

    /// A `ConfigError` located at this node's value.
    public func error(_ message: String) -> ConfigError {
        source.error(line: line, column: column, keyPath: keyPath, message)
    }

    /// The node as a JSON value (for recording the configuration in a manifest).
    public var jsonValue: JSONValue {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .sequence(let items): return .array(items.map(\.jsonValue))
        case .mapping(let entries):
            return .object(Dictionary(entries.map { ($0.key, $0.value.jsonValue) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    // MARK: The node's own value

    /// The value as a string.
    public func asString() throws -> String {
        guard case .string(let s) = value else { throw error("expected a string, found \(foundDescription)") }
        return s
    }

    /// The value as an integer, optionally within `range`.
    public func asInt(in range: ClosedRange<Int>? = nil) throws -> Int {
        guard case .int(let i) = value else { throw error("expected an integer, found \(foundDescription)") }
        if let range, !range.contains(i) {
            throw error("expected an integer \(ConfigNode.describe(range)), found \(i)")
        }
        return i
    }

    /// The value as a number (integers accepted), optionally within `range`.
    public func asDouble(in range: ClosedRange<Double>? = nil) throws -> Double {
        let d: Double
        switch value {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default: throw error("expected a number, found \(foundDescription)")
        }
        guard d.isFinite || range == nil else { throw error("expected a finite number, found \(d)") }
        if let range, !range.contains(d) {
            throw error("expected a number in \(range.lowerBound)...\(range.upperBound), found \(d)")
        }
        return d
    }

    /// The value as a boolean (`true`/`false`; YAML 1.1's `yes`/`no`/`on`/`off` too).
    public func asBool() throws -> Bool {
        guard case .bool(let b) = value else { throw error("expected true or false, found \(foundDescription)") }
        return b
    }

    /// The value as a list of nodes.
    public func asList() throws -> [ConfigNode] {
        guard case .sequence(let items) = value else { throw error("expected a list, found \(foundDescription)") }
        return items
    }

    /// The value as a list of strings; a single string is not accepted as a list of one.
    public func asStringList() throws -> [String] {
        try asList().map { try $0.asString() }
    }

    /// The value as a list of integers, each optionally within `range`.
    public func asIntList(in range: ClosedRange<Int>? = nil) throws -> [Int] {
        try asList().map { try $0.asInt(in: range) }
    }

    /// The value as a mapping (the node itself, checked).
    public func asMapping() throws -> ConfigNode {
        guard case .mapping = value else { throw error("expected a mapping (key: value lines), found \(foundDescription)") }
        return self
    }

    /// The value as a case of a string enum; the error lists the allowed values.
    public func asEnum<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws -> E where E.RawValue == String {
        let allowed = E.allCases.map(\.rawValue)
        let list = allowed.map { "`\($0)`" }.joined(separator: ", ")
        guard case .string(let s) = value else {
            throw error("expected one of \(list), found \(foundDescription)")
        }
        guard let result = E(rawValue: s) else {
            let hint = Suggestion.closest(to: s, among: allowed).map { " (did you mean `\($0)`?)" } ?? ""
            throw error("expected one of \(list), found \"\(s)\"\(hint)")
        }
        return result
    }

    /// The value as a path, resolved against the project directory when relative.
    public func asPath() throws -> URL {
        let text = try asString()
        guard !text.isEmpty else { throw error("expected a path, found an empty string") }
        if text.hasPrefix("/") { return URL(fileURLWithPath: text).standardizedFileURL }
        return source.baseDirectory.appendingPathComponent(text).standardizedFileURL
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "≥ \(range.lowerBound)" }
        if range.lowerBound == Int.min { return "≤ \(range.upperBound)" }
        return "in \(range.lowerBound)...\(range.upperBound)"
    }
}
