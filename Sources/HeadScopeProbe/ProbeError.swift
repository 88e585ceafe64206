import HeadScopeCore

/// Why the probe stage refused its input or could not finish: what, where, and what to do.
public enum ProbeError: HeadScopeError, Equatable {
    /// The activations directory or its index is missing.
    case missingStore(path: String, remedy: String)
    /// `schema_version` of the index is not one this build reads.
    case unsupportedSchema(file: String, found: String, expected: String)
    /// A required dataset or attribute is missing or has the wrong shape.
    case malformedStore(file: String, detail: String)
    /// Shards the index maps are missing.
    case missingShards(file: String, shards: [String])
    /// A row's `split` value is not `train` or `test`, or an item is on both sides.
    case badSplit(file: String, detail: String)
    /// A function has too few rows to train (or to test) a probe.
    case tooFewRows(function: String, split: String, found: Int, minimum: Int, remedy: String)
    /// The held-out split has no rows at all (or none of a function).
    case emptyTestSplit(detail: String, remedy: String)
    /// No usable rows or functions are left after filtering.
    case nothingToTrain(detail: String, remedy: String)
    /// A setting is out of range.
    case invalidOption(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .missingStore(path, remedy):
            return "\(path): no activation store here; \(remedy)"
        case let .unsupportedSchema(file, found, expected):
            return "\(file): schema_version is `\(found)`, this build of headscope-probe reads `\(expected)`; "
                + "re-run `make extract` with this version of HeadScope (or convert the store) "
                + "— see docs/activation-format.md"
        case let .malformedStore(file, detail):
            return "\(file): not a valid activation store: \(detail); see docs/activation-format.md"
        case let .missingShards(file, shards):
            return "\(file): the index maps \(shards.count) shard file(s) that are missing "
                + "(\(shards.prefix(5).joined(separator: ", "))\(shards.count > 5 ? ", …" : "")); "
                + "re-run `make extract` to rebuild them, or copy the whole activations folder"
        case let .badSplit(file, detail):
            return "\(file): bad `split` column: \(detail); fix the prepared items' splits, "
                + "or pass --split seeded to split by item here"
        case let .tooFewRows(function, split, found, minimum, remedy):
            return "function `\(function)` has \(found) \(split) row(s), at least \(minimum) are needed; \(remedy)"
        case let .emptyTestSplit(detail, remedy):
            return "empty test split: \(detail); \(remedy)"
        case let .nothingToTrain(detail, remedy):
            return "nothing to train: \(detail); \(remedy)"
        case let .invalidOption(name, value, expected):
            return "--\(name) \(value): expected \(expected)"
        }
    }
}
