import Foundation

/// A CLEVR scene graph: objects with attributes and pairwise spatial relationships.
public struct CLEVRScene: Sendable {
    public struct Object: Sendable, Equatable {
        /// Attribute name (`color`, `size`, `shape`, `material`) to value.
        public var attributes: [String: String]
    }

    public var imageIndex: Int?
    public var imageFilename: String
    public var objects: [Object]
    /// Relation (`left`, `right`, `front`, `behind`) to, per object i, the objects in that
    /// relation to i (CLEVR's convention: `relationships["left"][i]` are the objects left of i).
    public var relationships: [String: [[Int]]]

    /// The attribute names CLEVR programs query and filter on.
    public static let attributeNames = ["size", "color", "material", "shape"]

    /// Reads every scene of a CLEVR scenes file (`{"scenes": [...]}`), keyed by image filename.
    public static func load(_ data: Data, source: String) throws -> [String: CLEVRScene] {
        let root = try JSONParser.parse(data, source: source)
        guard let scenes = (root["scenes"] ?? root).arrayValue else {
            throw PrepareError.schema(path: source, entry: nil, key: "scenes", message: "expected an array of scenes")
        }
        var byName: [String: CLEVRScene] = [:]
        for (i, scene) in scenes.enumerated() {
            let entry = i + 1
            guard let filename = scene["image_filename"]?.stringValue else {
                throw PrepareError.schema(path: source, entry: entry, key: "image_filename", message: "missing or not a string")
            }
            guard let objects = scene["objects"]?.arrayValue else {
                throw PrepareError.schema(path: source, entry: entry, key: "objects", message: "missing or not an array")
            }
            let parsed = try objects.enumerated().map { j, object -> Object in
                var attributes: [String: String] = [:]
                for name in attributeNames {
                    guard let value = object[name]?.stringValue else {
                        throw PrepareError.schema(path: source, entry: entry, key: "objects[\(j)].\(name)", message: "missing or not a string")
                    }
                    attributes[name] = value
                }
                return Object(attributes: attributes)
            }
            var relationships: [String: [[Int]]] = [:]
            for (relation, lists) in scene["relationships"]?.objectValue ?? [] {
                guard let lists = lists.arrayValue, lists.count == parsed.count else {
                    throw PrepareError.schema(path: source, entry: entry, key: "relationships.\(relation)",
                                              message: "must list, for each of the \(parsed.count) objects, the related objects")
                }
                relationships[relation] = try lists.enumerated().map { j, list in
                    guard let ids = list.arrayValue?.compactMap(\.intValue), ids.count == list.arrayValue?.count,
                          ids.allSatisfy({ parsed.indices.contains($0) }) else {
                        throw PrepareError.schema(path: source, entry: entry, key: "relationships.\(relation)[\(j)]",
                                                  message: "must be an array of object indices")
                    }
                    return ids
                }
            }
            byName[filename] = CLEVRScene(imageIndex: scene["image_index"]?.intValue, imageFilename: filename,
                                          objects: parsed, relationships: relationships)
        }
        return byName
    }
}
