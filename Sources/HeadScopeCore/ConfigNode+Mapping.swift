import Foundation

/// Accessors by key, for mapping nodes. Every `x(_ key)` requires the key; `x(_ key, default:)`
/// falls back when the key is absent or null; `optionalX(_ key)` returns nil then.
extension ConfigNode {
    /// The mapping's entries in file order (empty for a non-mapping).
    public var entries: [Entry] {
        if case .mapping(let entries) = value { return entries }
        return []
    }

    /// The mapping's keys in file order.
    public var keys: [String] { entries.map(\.key) }

    /// The value under `key`, nil when absent (an explicit null is returned as a null node).
    public subscript(key: String) -> ConfigNode? {
        entries.first { $0.key == key }?.value
    }

    /// The value under `key` if present and not null.
    public func optional(_ key: String) throws -> ConfigNode? {
        _ = try asMapping()
        guard let child = self[key], !child.isNull else { return nil }
        return child
    }

    /// The value under `key`; throws "missing required key" (at the mapping's key line) or
    /// "found null" when absent.
    public func required(_ key: String, expecting expected: String) throws -> ConfigNode {
        _ = try asMapping()
        guard let child = self[key] else {
            let childPath = keyPath.isEmpty ? key : "\(keyPath).\(key)"
            let where_ = keyPath.isEmpty ? "at the top level" : "in `\(keyPath)`"
            let suggestion = Suggestion.closest(to: key, among: keys).map { " (found `\($0)`: a typo?)" } ?? ""
            throw source.error(line: keyLine ?? line, column: keyColumn ?? column, keyPath: childPath,
                               "missing required key `\(key)` \(where_) (expected \(expected))\(suggestion)")
        }
        if child.isNull {
            throw child.error("expected \(expected), found an empty value (null)")
        }
        return child
    }

    // MARK: Strings

    public func string(_ key: String) throws -> String {
        try required(key, expecting: "a string").asString()
    }

    public func string(_ key: String, default fallback: String) throws -> String {
        try optional(key)?.asString() ?? fallback
    }

    public func optionalString(_ key: String) throws -> String? {
        try optional(key)?.asString()
    }

    // MARK: Integers

    public func int(_ key: String, in range: ClosedRange<Int>? = nil) throws -> Int {
        try required(key, expecting: "an integer").asInt(in: range)
    }

    public func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>? = nil) throws -> Int {
        try optional(key)?.asInt(in: range) ?? fallback
    }

    public func optionalInt(_ key: String, in range: ClosedRange<Int>? = nil) throws -> Int? {
        try optional(key)?.asInt(in: range)
    }

    // MARK: Numbers

    public func double(_ key: String, in range: ClosedRange<Double>? = nil) throws -> Double {
        try required(key, expecting: "a number").asDouble(in: range)
    }

    public func double(_ key: String, default fallback: Double, in range: ClosedRange<Double>? = nil) throws -> Double {
        try optional(key)?.asDouble(in: range) ?? fallback
    }

    public func optionalDouble(_ key: String, in range: ClosedRange<Double>? = nil) throws -> Double? {
        try optional(key)?.asDouble(in: range)
    }

    // MARK: Booleans

    public func bool(_ key: String) throws -> Bool {
        try required(key, expecting: "true or false").asBool()
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        try optional(key)?.asBool() ?? fallback
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        try optional(key)?.asBool()
    }

    // MARK: Lists

    public func stringList(_ key: String) throws -> [String] {
        try required(key, expecting: "a list of strings").asStringList()
    }

    public func stringList(_ key: String, default fallback: [String]) throws -> [String] {
        try optional(key)?.asStringList() ?? fallback
    }

    public func intList(_ key: String, in range: ClosedRange<Int>? = nil) throws -> [Int] {
        try required(key, expecting: "a list of integers").asIntList(in: range)
    }

    public func intList(_ key: String, default fallback: [Int], in range: ClosedRange<Int>? = nil) throws -> [Int] {
        try optional(key)?.asIntList(in: range) ?? fallback
    }

    /// A list of arbitrary nodes (for lists of mappings).
    public func list(_ key: String) throws -> [ConfigNode] {
        try required(key, expecting: "a list").asList()
    }

    // MARK: Nested mappings

    public func mapping(_ key: String) throws -> ConfigNode {
        try required(key, expecting: "a mapping").asMapping()
    }

    public func optionalMapping(_ key: String) throws -> ConfigNode? {
        try optional(key)?.asMapping()
    }

    // MARK: Enums

    public func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, as type: E.Type) throws -> E
        where E.RawValue == String {
        let allowed = E.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ")
        return try required(key, expecting: "one of \(allowed)").asEnum(type)
    }

    public func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, default fallback: E) throws -> E
        where E.RawValue == String {
        try optional(key)?.asEnum(E.self) ?? fallback
    }

    // MARK: Paths

    /// A path, resolved against the project directory when relative (see `ConfigFile`).
    public func path(_ key: String) throws -> URL {
        try required(key, expecting: "a path").asPath()
    }

    public func optionalPath(_ key: String) throws -> URL? {
        try optional(key)?.asPath()
    }

    // MARK: Unknown keys

    /// Refuses keys outside `allowed`, pointing at the first unknown one and suggesting the
    /// closest allowed key when it looks like a typo.
    public func rejectUnknownKeys(allowed: [String]) throws {
        _ = try asMapping()
        let known = Set(allowed)
        for entry in entries where !known.contains(entry.key) {
            let childPath = keyPath.isEmpty ? entry.key : "\(keyPath).\(entry.key)"
            let list = allowed.map { "`\($0)`" }.joined(separator: ", ")
            let suggestion = Suggestion.closest(to: entry.key, among: allowed).map { "; did you mean `\($0)`?" } ?? ""
            let place = keyPath.isEmpty ? "at the top level" : "in `\(keyPath)`"
            throw source.error(line: entry.keyLine, column: entry.keyColumn, keyPath: childPath,
                               "unknown key `\(entry.key)`\(suggestion) (allowed \(place): \(list))")
        }
    }
}
