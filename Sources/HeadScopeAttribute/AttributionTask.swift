import Foundation
import HeadScopeExtract

/// One image to attribute: the item asking for its main object, and where its mask is.
public struct AttributionTask: Sendable, Equatable {
    public var itemID: String
    public var imageID: String
    public var image: URL
    public var question: String
    public var answer: String
    public var tags: [String: String]
    /// The label map, when the dataset has one (CogShapes).
    public var mask: URL?

    public init(itemID: String, imageID: String, image: URL, question: String, answer: String,
                tags: [String: String], mask: URL?) {
        self.itemID = itemID; self.imageID = imageID; self.image = image; self.question = question
        self.answer = answer; self.tags = tags; self.mask = mask
    }

    /// The task set of a prepared dataset: items tagged `task=main_object`, or, when there are
    /// none, every item whose answer is a single word; one item per image (the first), sorted by
    /// image id so the order does not depend on the file's.
    public static func select(from dataset: PreparedDataset, split: String?, limit: Int?) throws -> [AttributionTask] {
        let masks = try maskPaths(in: dataset.directory)
        let tagged = dataset.items.filter { $0.tags?["task"] == "main_object" }
        let pool = tagged.isEmpty
            ? dataset.items.filter { !$0.finalAnswer.isEmpty && !$0.finalAnswer.contains(where: { $0.isWhitespace }) }
            : tagged
        var seen = Set<String>()
        var tasks: [AttributionTask] = []
        for item in pool where split == nil || item.split == split {
            guard seen.insert(item.imageID).inserted else { continue }
            let maskURL = masks[item.imageID].map { dataset.directory.appendingPathComponent($0) }
            tasks.append(AttributionTask(itemID: item.id, imageID: item.imageID, image: dataset.imageURL(of: item),
                                         question: item.question, answer: item.finalAnswer, tags: item.tags ?? [:],
                                         mask: maskURL))
        }
        tasks.sort { $0.imageID < $1.imageID }
        if let limit { tasks = Array(tasks.prefix(limit)) }
        return tasks
    }

    /// The task set of the prepared dataset in `directory` (see `select(from:split:limit:)`).
    public static func select(preparedDirectory directory: URL, split: String? = nil, limit: Int? = nil) throws -> [AttributionTask] {
        try select(from: try PreparedDataset(directory: directory), split: split, limit: limit)
    }

    /// Mask path (relative to prepared/) by image id, from images.jsonl's `mask` key, falling back
    /// to masks/<id>.png when images.jsonl is absent.
    static func maskPaths(in directory: URL) throws -> [String: String] {
        let url = directory.appendingPathComponent("images.jsonl")
        var out: [String: String] = [:]
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let dir = directory.appendingPathComponent("masks")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasSuffix(".png") {
                out[String(name.dropLast(4))] = "masks/\(name)"
            }
            return out
        }
        struct Entry: Decodable { var id: String; var mask: String? }
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            do {
                let e = try JSONDecoder().decode(Entry.self, from: Data(line))
                if let m = e.mask { out[e.id] = m }
            } catch {
                throw AttributionError("\(url.path):\(number + 1): not an image record (\(error))", remedy: "re-run `make prepare`")
            }
        }
        return out
    }
}
