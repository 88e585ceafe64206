import Foundation

/// What to do with a step whose label is not in the taxonomy.
public enum UnknownLabelPolicy: String, Sendable, CaseIterable {
    /// Stop with an error listing every unknown label and where it occurs (the default: a typo
    /// in the taxonomy should not silently shrink a function's training set).
    case error
    /// Drop the step and count it in the manifest.
    case skip
}

/// Reads CogVision-format question files (METHODS.md 1.1).
///
/// A file holds a JSON array of records, or one record per line (JSON Lines). Each record has
/// `question`, `final_answer`, `image_path` and `generated` (a list of `subquestion`, `answer`,
/// `cognitive_skill`); `answer` (the rationale) is read but not carried over. Optional fields that
/// the built-in CogShapes generator writes and other sources may use: `id`, `split`, and `tags`
/// (an object of strings).
public struct CogVisionAdapter: Sendable {
    public var taxonomy: Taxonomy
    public var unknownLabels: UnknownLabelPolicy

    public init(taxonomy: Taxonomy, unknownLabels: UnknownLabelPolicy = .error) {
        self.taxonomy = taxonomy
        self.unknownLabels = unknownLabels
    }

    /// Parses a question file's bytes; `source` names it in errors and in each item's `source`.
    public func read(_ data: Data, source: String) throws -> (items: [DraftItem], counts: AdapterCounts) {
        let records = try CogVisionAdapter.records(in: data, source: source)
        var counts = AdapterCounts()
        var items: [DraftItem] = []
        var unknown: [String: [Int]] = [:]
        let sourceName = (source as NSString).lastPathComponent
        for (index, record) in records.enumerated() {
            let entry = index + 1
            guard record.objectValue != nil else {
                throw PrepareError.schema(path: source, entry: entry, key: nil, message: "a record must be a JSON object, found \(record.kindName)")
            }
            let question = try requiredText(record, "question", source: source, entry: entry)
            let finalAnswer = try requiredText(record, "final_answer", source: source, entry: entry)
            let imagePath = try requiredText(record, "image_path", source: source, entry: entry)
            guard let generated = record["generated"]?.arrayValue else {
                throw PrepareError.schema(path: source, entry: entry, key: "generated",
                                          message: "missing or not an array of subquestions")
            }
            var steps: [Step] = []
            for (s, raw) in generated.enumerated() {
                let key = "generated[\(s)]"
                let sub = try requiredText(raw, "subquestion", source: source, entry: entry, prefix: key)
                let answer = try requiredText(raw, "answer", source: source, entry: entry, prefix: key)
                let label = try requiredText(raw, "cognitive_skill", source: source, entry: entry, prefix: key)
                switch taxonomy.resolve(label) {
                case .label(let canonical):
                    if canonical != label { counts.labelsNormalised[label, default: 0] += 1 }
                    steps.append(Step(subquestion: sub, answer: answer, function: canonical))
                case .excluded(let canonical):
                    counts.labelsDropped[canonical, default: 0] += 1
                case .unknown(let rawLabel):
                    switch unknownLabels {
                    case .error: unknown[rawLabel, default: []].append(entry)
                    case .skip: counts.unknownLabelsSkipped[rawLabel, default: 0] += 1
                    }
                }
            }
            if steps.isEmpty {
                counts.skip("no steps with a known label")
                continue
            }
            var tags: [String: String] = [:]
            for (k, v) in record["tags"]?.objectValue ?? [] {
                tags[k] = CogVisionAdapter.text(v) ?? ""
            }
            items.append(DraftItem(
                id: record["id"].flatMap(CogVisionAdapter.text) ?? CogVisionAdapter.defaultID(source: source, entry: entry), imagePath: imagePath, question: question,
                options: OptionParser.options(in: question), finalAnswer: finalAnswer,
                source: "cogvision:\(sourceName)#\(entry)", split: record["split"]?.stringValue,
                steps: steps, tags: tags))
        }
        if !unknown.isEmpty { throw PrepareError.unknownLabels(path: source, labels: unknown) }
        return (items, counts)
    }

    /// The records of a file: a top-level array, or JSON Lines when the file does not start with `[`.
    static func records(in data: Data, source: String) throws -> [OrderedJSON] {
        let firstByte = data.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        if firstByte == UInt8(ascii: "[") {
            guard let array = try JSONParser.parse(data, source: source).arrayValue else { return [] }
            return array
        }
        if firstByte == UInt8(ascii: "{") {
            // One object per line, or a single object holding the records under a key.
            let lines = try JSONParser.parseLines(data, source: source)
            if lines.count == 1, let only = lines.first,
               let nested = (only["questions"] ?? only["data"] ?? only["items"])?.arrayValue {
                return nested
            }
            return lines
        }
        if firstByte == nil { throw PrepareError.empty(path: source, message: "the question file is empty") }
        return [try JSONParser.parse(data, source: source)] // reports the syntax error with its position
    }

    /// The id of a record without one: the file's stem and the 1-based entry, zero-padded so ids
    /// sort in file order.
    static func defaultID(source: String, entry: Int) -> String {
        let stem = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
        return "\(stem)-\(String(entry + 1_000_000).dropFirst())"
    }

    /// A string, number or boolean as text (answers are sometimes written as bare numbers).
    static func text(_ value: OrderedJSON) -> String? {
        switch value {
        case .string(let s): return s
        case .number: return value.serialized()
        case .bool(let b): return b ? "yes" : "no"
        default: return nil
        }
    }

    private func requiredText(_ record: OrderedJSON, _ key: String, source: String, entry: Int,
                              prefix: String? = nil) throws -> String {
        let path = prefix.map { "\($0).\(key)" } ?? key
        guard let value = record[key] else {
            throw PrepareError.schema(path: source, entry: entry, key: path, message: "missing")
        }
        guard let text = CogVisionAdapter.text(value) else {
            throw PrepareError.schema(path: source, entry: entry, key: path, message: "must be a string, found \(value.kindName)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw PrepareError.schema(path: source, entry: entry, key: path, message: "is empty")
        }
        return trimmed
    }
}
