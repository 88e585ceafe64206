import Foundation
import HeadScopeCore

/// The prepared dataset as later stages read it: `prepared/items.jsonl` and the images it names
/// (the format is documented in docs/prepared-format.md; this reader depends only on that).
public struct PreparedDataset: Sendable {
    public struct Step: Decodable, Sendable, Equatable {
        public var subquestion: String
        public var answer: String
        public var function: String
    }

    public struct Item: Decodable, Sendable, Equatable {
        public var id: String
        public var imageID: String
        public var question: String
        public var options: [String: String]
        public var finalAnswer: String
        public var split: String
        public var steps: [Step]
        public var tags: [String: String]?

        enum CodingKeys: String, CodingKey {
            case id, question, options, split, steps, tags
            case imageID = "image_id"
            case finalAnswer = "final_answer"
        }
    }

    public let directory: URL
    public let items: [Item]
    /// Image file (relative to `directory`) by image id.
    public let images: [String: String]

    public init(directory: URL) throws {
        self.directory = directory
        let itemsURL = directory.appendingPathComponent("items.jsonl")
        guard let data = FileManager.default.contents(atPath: itemsURL.path) else {
            throw StageError("\(itemsURL.path): no prepared items", remedy: "run `make prepare` first")
        }
        var items: [Item] = []
        let decoder = JSONDecoder()
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            do {
                items.append(try decoder.decode(Item.self, from: Data(line)))
            } catch {
                throw StageError("\(itemsURL.path):\(number + 1): not a prepared item (\(error))",
                                 remedy: "re-run `make prepare` with this version of HeadScope")
            }
        }
        self.items = items
        let imageDir = directory.appendingPathComponent("images")
        var images: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: imageDir.path)) ?? [] {
            let id = (name as NSString).deletingPathExtension
            if !name.hasPrefix(".") && !id.hasSuffix(".mask") { images[id] = "images/\(name)" }
        }
        self.images = images
        for item in items where images[item.imageID] == nil {
            throw StageError("\(itemsURL.path): item \(item.id) names image \(item.imageID), which is not in \(imageDir.path)",
                             remedy: "re-run `make prepare`")
        }
    }

    /// The image file of an item.
    public func imageURL(of item: Item) -> URL {
        directory.appendingPathComponent(images[item.imageID] ?? "images/\(item.imageID)")
    }
}
