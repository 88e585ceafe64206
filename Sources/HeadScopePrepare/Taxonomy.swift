import Foundation

/// The function labels a dataset declares, read from data (a taxonomy file), never fixed in code.
///
/// Real label columns are messy (`semantic Understanding`, `Decision making`), so matching is
/// tolerant: labels compare after case folding and collapsing spaces, hyphens and underscores.
/// Labels listed under `excluded` (CogVision's `Induction`) are dropped and counted, and anything
/// else unknown is reported.
public struct Taxonomy: Equatable, Sendable {
    /// The dataset's name (for example `cogvision`).
    public var name: String
    /// The canonical labels in their declared order.
    public var labels: [String]
    /// Labels that occur in the data but are deliberately dropped.
    public var excluded: [String]
    /// Extra spellings mapped to canonical labels (keys compared loosely, like labels).
    public var aliases: [String: String]
    /// Optional one-line descriptions per label (used in the LLM decomposition prompt).
    public var descriptions: [String: String]
    /// For datasets with functional programs: program function (or `prefix*`) to label.
    public var programFunctions: [String: String]

    public init(name: String, labels: [String], excluded: [String] = [], aliases: [String: String] = [:],
                descriptions: [String: String] = [:], programFunctions: [String: String] = [:]) {
        self.name = name
        self.labels = labels
        self.excluded = excluded
        self.aliases = aliases
        self.descriptions = descriptions
        self.programFunctions = programFunctions
    }

    /// What a raw label resolves to.
    public enum Resolution: Equatable, Sendable {
        case label(String)
        case excluded(String)
        case unknown(String)
    }

    /// The comparison key for a label: lowercase, with runs of space, `-` and `_` collapsed.
    public static func looseKey(_ raw: String) -> String {
        var out = ""
        var pendingSeparator = false
        for ch in raw.lowercased() {
            if ch == " " || ch == "-" || ch == "_" || ch == "\t" || ch == "\n" {
                pendingSeparator = !out.isEmpty
            } else {
                if pendingSeparator { out.append(" "); pendingSeparator = false }
                out.append(ch)
            }
        }
        return out
    }

    /// Resolves a raw label from the data to a canonical label, an excluded label, or unknown.
    public func resolve(_ raw: String) -> Resolution {
        let key = Taxonomy.looseKey(raw)
        if let label = labels.first(where: { Taxonomy.looseKey($0) == key }) { return .label(label) }
        if let target = aliases.first(where: { Taxonomy.looseKey($0.key) == key })?.value,
           let label = labels.first(where: { Taxonomy.looseKey($0) == Taxonomy.looseKey(target) }) {
            return .label(label)
        }
        if let label = excluded.first(where: { Taxonomy.looseKey($0) == key }) { return .excluded(label) }
        return .unknown(raw)
    }

    /// The label for a functional-program step (`filter_color`, `relate`, ...), or nil when the
    /// taxonomy maps it to nothing. Exact names win over `prefix*` patterns; longer prefixes win.
    public func label(forProgramFunction function: String) -> String? {
        if let exact = programFunctions[function] { return exact }
        let matches = programFunctions.filter { $0.key.hasSuffix("*") && function.hasPrefix(String($0.key.dropLast())) }
        return matches.max { ($0.key.count, $1.key) < ($1.key.count, $0.key) }?.value
    }
}

extension Taxonomy {
    /// Reads a taxonomy file (JSON): `{"name", "labels", "excluded"?, "aliases"?, "descriptions"?,
    /// "program_functions"?}`.
    public static func load(from url: URL) throws -> Taxonomy {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PrepareError.io(path: url.path, message: "cannot read the taxonomy file", hint: "check the path in the config")
        }
        return try parse(JSONParser.parse(data, source: url.path), source: url.path)
    }

    /// Builds a taxonomy from its JSON form; `source` names the file in errors.
    public static func parse(_ json: OrderedJSON, source: String) throws -> Taxonomy {
        func strings(_ key: String) throws -> [String] {
            guard let value = json[key] else { return [] }
            guard let items = value.arrayValue else {
                throw PrepareError.schema(path: source, entry: nil, key: key, message: "must be an array of strings, found \(value.kindName)")
            }
            return try items.enumerated().map { i, item in
                guard let s = item.stringValue, !s.isEmpty else {
                    throw PrepareError.schema(path: source, entry: nil, key: "\(key)[\(i)]", message: "must be a non-empty string")
                }
                return s
            }
        }
        func map(_ key: String) throws -> [String: String] {
            guard let value = json[key] else { return [:] }
            guard let pairs = value.objectValue else {
                throw PrepareError.schema(path: source, entry: nil, key: key, message: "must be an object of strings, found \(value.kindName)")
            }
            var out: [String: String] = [:]
            for (k, v) in pairs {
                guard let s = v.stringValue else {
                    throw PrepareError.schema(path: source, entry: nil, key: "\(key).\(k)", message: "must be a string")
                }
                out[k] = s
            }
            return out
        }
        guard json.objectValue != nil else {
            throw PrepareError.schema(path: source, entry: nil, key: nil, message: "a taxonomy must be a JSON object")
        }
        let labels = try strings("labels")
        guard !labels.isEmpty else {
            throw PrepareError.schema(path: source, entry: nil, key: "labels", message: "a taxonomy needs at least one label")
        }
        var seen = Set<String>()
        for label in labels where !seen.insert(looseKey(label)).inserted {
            throw PrepareError.schema(path: source, entry: nil, key: "labels", message: "label \"\(label)\" is declared twice")
        }
        let taxonomy = Taxonomy(name: json["name"]?.stringValue ?? "unnamed", labels: labels,
                                excluded: try strings("excluded"), aliases: try map("aliases"),
                                descriptions: try map("descriptions"),
                                programFunctions: try map("program_functions"))
        for (alias, target) in taxonomy.aliases where !labels.contains(where: { looseKey($0) == looseKey(target) }) {
            throw PrepareError.schema(path: source, entry: nil, key: "aliases.\(alias)", message: "maps to \"\(target)\", which is not a declared label")
        }
        for (function, target) in taxonomy.programFunctions where !labels.contains(target) {
            throw PrepareError.schema(path: source, entry: nil, key: "program_functions.\(function)", message: "maps to \"\(target)\", which is not a declared label")
        }
        return taxonomy
    }

    /// The taxonomy's JSON form, keys in a fixed order and maps sorted by key.
    public var json: OrderedJSON {
        func sortedMap(_ m: [String: String]) -> OrderedJSON {
            .object(m.keys.sorted().map { ($0, .string(m[$0] ?? "")) })
        }
        var pairs: [(String, OrderedJSON)] = [
            ("name", .string(name)),
            ("labels", .array(labels.map { .string($0) })),
            ("excluded", .array(excluded.map { .string($0) })),
        ]
        if !aliases.isEmpty { pairs.append(("aliases", sortedMap(aliases))) }
        if !descriptions.isEmpty { pairs.append(("descriptions", sortedMap(descriptions))) }
        if !programFunctions.isEmpty { pairs.append(("program_functions", sortedMap(programFunctions))) }
        return .object(pairs)
    }
}
