import Foundation

/// Reads a plain VQA list, records of `image` (or `image_path`), `question` and `answer`, as a
/// JSON array or JSON Lines. Its items have no steps yet: the run asks the LLM decomposer for them.
public struct VQAAdapter: Sendable {
    public init() {}

    public func read(_ data: Data, source: String) throws -> (items: [DraftItem], counts: AdapterCounts) {
        let records = try CogVisionAdapter.records(in: data, source: source)
        let sourceName = (source as NSString).lastPathComponent
        var items: [DraftItem] = []
        for (index, record) in records.enumerated() {
            let entry = index + 1
            func text(_ keys: [String]) throws -> String {
                for key in keys {
                    if let value = record[key].flatMap(CogVisionAdapter.text)?.trimmingCharacters(in: .whitespacesAndNewlines),
                       !value.isEmpty { return value }
                }
                throw PrepareError.schema(path: source, entry: entry, key: keys[0], message: "missing, empty or not a string")
            }
            let question = try text(["question"])
            items.append(DraftItem(id: record["id"].flatMap(CogVisionAdapter.text) ?? CogVisionAdapter.defaultID(source: source, entry: entry), imagePath: try text(["image", "image_path"]),
                                   question: question, options: OptionParser.options(in: question),
                                   finalAnswer: try text(["answer", "final_answer"]),
                                   source: "vqa:\(sourceName)#\(entry)", split: record["split"]?.stringValue, steps: []))
        }
        return (items, AdapterCounts())
    }
}
