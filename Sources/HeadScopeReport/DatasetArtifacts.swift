import Foundation
import HeadScopeCore
import HeadScopeExtract

/// What the report shows of `prepared/`: the items, the taxonomy's label order and the images.
public struct DatasetArtifacts: Sendable {
    public var items: [PreparedDataset.Item]
    /// Labels in taxonomy order, then labels that occur in the data but not in the taxonomy.
    public var labels: [String]
    /// The prepared directory, to resolve image files.
    public var directory: URL
    /// Image id to its path relative to `prepared/`.
    public var images: [String: String]

    /// Loads `prepared/` (items.jsonl, taxonomy.json, images/).
    static func load(_ layout: RunLayout) throws -> StageArtifact<DatasetArtifacts> {
        let directory = layout.prepared
        let manifest: Manifest
        switch try ArtifactLoading.manifest(directory, stage: "prepare", target: "prepare", layout: layout) {
        case .missing(let missing): return .missing(missing)
        case .found(let found): manifest = found
        }
        let itemsURL = directory.appendingPathComponent("items.jsonl")
        let dataset = try ArtifactLoading.reading(itemsURL, target: "prepare") { try PreparedDataset(directory: directory) }
        let taxonomyURL = directory.appendingPathComponent("taxonomy.json")
        struct Taxonomy: Decodable { var labels: [String] }
        var labels = try ArtifactLoading.decode(Taxonomy.self, from: taxonomyURL, target: "prepare").labels
        for item in dataset.items {
            for step in item.steps where !labels.contains(step.function) { labels.append(step.function) }
        }
        let value = DatasetArtifacts(items: dataset.items, labels: labels, directory: directory, images: dataset.images)
        return .present(Loaded(value: value, manifest: manifest, directory: directory,
                               sources: [layout.display(itemsURL), layout.display(taxonomyURL)]))
    }

    /// The image file of an item.
    public func imageURL(of item: PreparedDataset.Item) -> URL {
        directory.appendingPathComponent(images[item.imageID] ?? "images/\(item.imageID)")
    }
}

