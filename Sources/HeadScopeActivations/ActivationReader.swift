import Foundation
import HeadScopeHDF5

/// Reads an activation store through its index: attributes, row tables, and `z` one layer at a
/// time (the access pattern of probes, which keeps memory independent of the number of layers).
public final class ActivationReader: Sendable {
    public let url: URL
    public let attributes: StoreAttributes
    public let rows: Int
    let file: HDF5File

    /// Opens `index.h5` of a store directory (or a single shard file).
    public init(store directory: URL) throws {
        let url = directory.hasDirectoryPath || !directory.path.hasSuffix(".h5")
            ? directory.appendingPathComponent(ActivationStore.indexName) : directory
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw StoreError(url.path, "no activation index here", remedy: "run `make extract` (or `headscope-extract --merge`) first")
        }
        self.url = url
        file = try HDF5File.open(url.path)
        (attributes, rows) = try ShardFile.attributes(of: file)
        if case let missing = try file.root.openDataset("z").missingVirtualSources(), !missing.isEmpty {
            throw StoreError(url.path, "the index refers to missing shard files: \(missing.prefix(3).joined(separator: ", "))",
                             remedy: "restore the shards or rebuild the index with `headscope-extract --merge`")
        }
    }

    public func strings(_ table: String) throws -> [String] {
        try file.root.openDataset(table).readStrings()
    }

    public func ints(_ table: String) throws -> [Int] {
        try file.root.openDataset(table).read(as: Int32.self).map(Int.init)
    }

    public func correct() throws -> [Bool] {
        try file.root.openDataset("correct").read(as: Int8.self).map { $0 != 0 }
    }

    /// `z` of one layer for all rows: `[rows, heads, headDim]`, row-major.
    public func layer(_ layer: Int) throws -> [Float] {
        guard (0..<attributes.layers).contains(layer) else {
            throw StoreError(url.path, "layer \(layer) is outside 0..<\(attributes.layers)")
        }
        guard rows > 0 else { return [] }
        return try file.root.openDataset("z").read(as: Float.self, Hyperslab(
            start: [0, layer, 0, 0], count: [rows, 1, attributes.heads, attributes.headDim]))
    }

    /// `z` of a block of rows: `[count, layers, heads, headDim]`.
    public func rows(_ range: Range<Int>) throws -> [Float] {
        guard !range.isEmpty else { return [] }
        return try file.root.openDataset("z").read(as: Float.self, Hyperslab(
            start: [range.lowerBound, 0, 0, 0], count: [range.count, attributes.layers, attributes.heads, attributes.headDim]))
    }

    public func close() throws { try file.close() }
}

/// Reading a single shard's attributes without going through the index.
public enum ShardReader {
    public static func attributes(of url: URL) throws -> StoreAttributes {
        let file = try HDF5File.open(url.path)
        defer { try? file.close() }
        return try ShardFile.attributes(of: file).0
    }
}
