import Foundation
import HeadScopeHDF5

/// The per-row tables of an activation store that the probe stage needs.
public struct ActivationRows: Sendable, Equatable {
    /// Main-question id of each row.
    public var itemIDs: [String]
    /// Function label of each row.
    public var functions: [String]
    /// Judge verdict of each row (1 correct, 0 wrong).
    public var correct: [Int8]
    /// `train` / `test` per row, when the store has the column.
    public var split: [String]?

    public init(itemIDs: [String], functions: [String], correct: [Int8], split: [String]? = nil) {
        self.itemIDs = itemIDs
        self.functions = functions
        self.correct = correct
        self.split = split
    }

    public var count: Int { itemIDs.count }
}

/// Layer geometry of `z`.
public struct HeadGeometry: Sendable, Equatable, Codable {
    public var layers: Int
    public var heads: Int
    public var headDim: Int

    public init(layers: Int, heads: Int, headDim: Int) {
        self.layers = layers
        self.heads = heads
        self.headDim = headDim
    }

    enum CodingKeys: String, CodingKey {
        case layers = "num_layers", heads = "num_heads", headDim = "head_dim"
    }
}

/// Where the probe stage reads activations one layer at a time.
public protocol LayerSource {
    var geometry: HeadGeometry { get }
    /// `z[:, layer, :, :]` for every row, row-major `[rows, heads, headDim]`.
    func readLayer(_ layer: Int) throws -> [Float]
}

/// An activation store (`activations/index.h5` over its shards), opened for probing: the row
/// tables are read at once, `z` one layer at a time (docs/activation-format.md).
public final class ActivationStoreReader: LayerSource {
    /// The schema this build reads.
    public static let schemaVersion = "headscope-activations/1"
    /// The index file's name inside the activations directory.
    public static let indexName = "index.h5"

    public let directory: URL
    public let indexURL: URL
    public let geometry: HeadGeometry
    public let rows: ActivationRows
    /// Root attributes recorded for provenance (model id, policies, tool version, …).
    public let provenance: [String: String]

    private let file: HDF5File
    private let z: HDF5Dataset

    /// Opens `directory/index.h5`, checks the schema, the geometry, the row tables and that every
    /// shard the index maps is present.
    public init(directory: URL) throws {
        self.directory = directory
        indexURL = directory.appendingPathComponent(ActivationStoreReader.indexName)
        let path = indexURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ProbeError.missingStore(path: directory.path,
                                          remedy: "pass the `activations/` folder written by `make extract`")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ProbeError.missingStore(path: path, remedy: "the folder has no index.h5; run `make extract` to finish it")
        }
        let file = try HDF5File.open(path)
        self.file = file
        let attributes = file.attributes
        guard try attributes.contains("schema_version") else {
            throw ProbeError.unsupportedSchema(file: path, found: "(none)", expected: ActivationStoreReader.schemaVersion)
        }
        let version = try attributes.read("schema_version").string ?? "(not a string)"
        guard version == ActivationStoreReader.schemaVersion else {
            throw ProbeError.unsupportedSchema(file: path, found: version, expected: ActivationStoreReader.schemaVersion)
        }
        func intAttribute(_ name: String) throws -> Int {
            guard try attributes.contains(name), let value = try attributes.read(name).int64 else {
                throw ProbeError.malformedStore(file: path, detail: "root attribute `\(name)` (int64) is missing")
            }
            return Int(value)
        }
        geometry = HeadGeometry(layers: try intAttribute("num_layers"), heads: try intAttribute("num_heads"),
                                headDim: try intAttribute("head_dim"))
        guard geometry.layers > 0, geometry.heads > 0, geometry.headDim > 0 else {
            throw ProbeError.malformedStore(file: path, detail: "geometry \(geometry.layers) x \(geometry.heads) x \(geometry.headDim) is empty")
        }
        var provenance: [String: String] = [:]
        for name in try attributes.names() {
            let value = try attributes.read(name)
            provenance[name] = value.string ?? value.int64.map(String.init) ?? value.description
        }
        self.provenance = provenance

        guard try file.root.contains("z") else {
            throw ProbeError.malformedStore(file: path, detail: "dataset `z` is missing")
        }
        let z = try file.root.openDataset("z")
        self.z = z
        let missing = try z.missingVirtualSources()
        guard missing.isEmpty else { throw ProbeError.missingShards(file: path, shards: missing) }
        let shape = try z.shape
        guard shape.count == 4, shape[1] == geometry.layers, shape[2] == geometry.heads, shape[3] == geometry.headDim else {
            throw ProbeError.malformedStore(file: path, detail: "`z` has shape \(shape), expected [N, \(geometry.layers), \(geometry.heads), \(geometry.headDim)] from the root attributes")
        }
        let n = shape[0]
        func strings(_ name: String, required: Bool = true) throws -> [String]? {
            guard try file.root.contains(name) else {
                if required { throw ProbeError.malformedStore(file: path, detail: "row table `\(name)` is missing") }
                return nil
            }
            let values = try file.root.openDataset(name).readStrings()
            guard values.count == n else {
                throw ProbeError.malformedStore(file: path, detail: "row table `\(name)` has \(values.count) rows, `z` has \(n)")
            }
            return values
        }
        let itemIDs = try strings("item_id") ?? []
        let functions = try strings("function") ?? []
        guard try file.root.contains("correct") else {
            throw ProbeError.malformedStore(file: path, detail: "row table `correct` is missing")
        }
        let correct = try file.root.openDataset("correct").read(as: Int8.self)
        guard correct.count == n else {
            throw ProbeError.malformedStore(file: path, detail: "row table `correct` has \(correct.count) rows, `z` has \(n)")
        }
        rows = ActivationRows(itemIDs: itemIDs, functions: functions, correct: correct,
                              split: try strings("split", required: false))
    }

    deinit {
        try? file.close()
    }

    /// `z[:, layer]` for all rows as `[N, H, D]` floats (half precision is widened).
    public func readLayer(_ layer: Int) throws -> [Float] {
        let n = rows.count
        return try z.read(as: Float.self, Hyperslab(start: [0, layer, 0, 0],
                                                   count: [n, 1, geometry.heads, geometry.headDim]))
    }
}
