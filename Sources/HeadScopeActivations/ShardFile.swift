import Foundation
import HeadScopeCore
import HeadScopeHDF5

/// Writing and reading one immutable shard of the activation store.
///
/// A shard is built in memory (`HDF5File.createInMemory`), then written under a temporary name,
/// fsynced and renamed (`AtomicFile.write`), so a file with a shard's final name is always
/// complete: resuming after a crash, `kill -9`, a power loss or a full disk only has to look at
/// which names exist. Building in memory keeps disk failures out of HDF5, which cannot recover
/// from them, and makes a full disk an ordinary write error that names the problem.
public enum ShardFile {
    /// Rows per `z` chunk: a probe reads one layer for all rows, touching `rows / 256` chunks.
    static let chunkRows = 256

    /// The file name of shard `index` of `count`.
    public static func name(index: Int, count: Int) -> String {
        String(format: "shard-%05d-of-%05d.h5", index, count)
    }

    /// Parses `shard-00003-of-00010.h5` into (3, 10).
    public static func parse(name: String) -> (index: Int, count: Int)? {
        let parts = name.split(separator: "-")
        guard parts.count == 4, parts[0] == "shard", parts[2] == "of", parts[3].hasSuffix(".h5"),
              let index = Int(parts[1]), let count = Int(parts[3].dropLast(3)) else { return nil }
        return (index, count)
    }

    /// Writes `rows` as shard `index` of `count` at `url`, atomically.
    public static func write(_ rows: [ActivationRow], attributes: StoreAttributes, index: Int, count: Int,
                             to url: URL) throws {
        for (i, row) in rows.enumerated() where row.z.count != attributes.rowWidth {
            throw StoreError(url.path, "row \(i) (item \(row.itemID), step \(row.step)) has \(row.z.count) z values; the geometry \(attributes.layers)x\(attributes.heads)x\(attributes.headDim) needs \(attributes.rowWidth)")
        }
        let file = try HDF5File.createInMemory(name: url.path)
        try writeAttributes(attributes, rows: rows.count, to: file.attributes)
        try file.attributes.write("shard_index", Int64(index))
        try file.attributes.write("shard_count", Int64(count))
        try writeZ(rows, attributes, into: file.root)
        try writeTables(rows, into: file.root)
        let image = try file.closeReturningImage()
        do {
            try AtomicFile.write(image, to: url)
        } catch {
            throw StoreError.writing(url.path, "this shard", failedWith: error)
        }
    }

    static func writeAttributes(_ a: StoreAttributes, rows: Int, to attributes: HDF5Attributes) throws {
        try attributes.write("schema_version", StoreAttributes.schemaVersion)
        try attributes.write("tool_version", a.toolVersion)
        try attributes.write("model_id", a.modelID)
        try attributes.write("model_sha256", a.modelSHA256)
        try attributes.write("num_layers", Int64(a.layers))
        try attributes.write("num_heads", Int64(a.heads))
        try attributes.write("head_dim", Int64(a.headDim))
        try attributes.write("prompt_template", a.promptTemplate)
        try attributes.write("context_policy", a.contextPolicy)
        try attributes.write("position_policy", a.positionPolicy)
        try attributes.write("judge", a.judge)
        try attributes.write("rows", Int64(rows))
    }

    static func zShape(rows: Int, _ a: StoreAttributes) -> [Int] { [rows, a.layers, a.heads, a.headDim] }

    static func writeTables(_ rows: [ActivationRow], into group: HDF5Group) throws {
        let n = rows.count
        let options = n > 0 ? HDF5DatasetOptions.chunked([min(n, 4096)], gzipLevel: 4, shuffle: true) : .contiguous
        func strings(_ name: String, _ values: [String]) throws {
            try group.createDataset(name, strings: values, options: options)
        }
        try strings("item_id", rows.map(\.itemID))
        try group.createDataset("step", values: rows.map { Int32($0.step) }, shape: [n], options: options)
        try strings("function", rows.map(\.function))
        try strings("subquestion", rows.map(\.subquestion))
        try strings("reference_answer", rows.map(\.referenceAnswer))
        try strings("model_answer", rows.map(\.modelAnswer))
        try strings("raw_output", rows.map(\.rawOutput))
        try group.createDataset("correct", values: rows.map { Int8($0.correct ? 1 : 0) }, shape: [n], options: options)
        try group.createDataset("answer_start", values: rows.map { Int32($0.answerStart) }, shape: [n], options: options)
        try group.createDataset("answer_length", values: rows.map { Int32($0.answerLength) }, shape: [n], options: options)
        try group.createDataset("token_index", values: rows.map { Int32($0.tokenIndex) }, shape: [n], options: options)
        try strings("image", rows.map(\.image))
        try strings("split", rows.map(\.split))
    }

    /// Writes the `z` dataset of `rows` with the store's chunking and filters.
    static func writeZ(_ rows: [ActivationRow], _ a: StoreAttributes, into group: HDF5Group) throws {
        let shape = zShape(rows: rows.count, a)
        let options: HDF5DatasetOptions = rows.isEmpty ? .contiguous
            : .chunked([min(rows.count, chunkRows), 1, a.heads, a.headDim], gzipLevel: 4, shuffle: true)
        var z = [Float]()
        z.reserveCapacity(rows.count * a.rowWidth)
        for row in rows { z.append(contentsOf: row.z) }
        try group.createDataset("z", values: z, shape: shape, storedAs: a.half ? .float16 : .float32, options: options)
    }

    /// Reads a shard's root attributes.
    public static func attributes(of file: HDF5File) throws -> (StoreAttributes, rows: Int) {
        let attrs = file.attributes
        func string(_ name: String) throws -> String {
            guard let value = try attrs.read(name).string else {
                throw StoreError(file.path, "attribute \(name) is not a string")
            }
            return value
        }
        func int(_ name: String) throws -> Int {
            guard let value = try attrs.read(name).int64 else {
                throw StoreError(file.path, "attribute \(name) is not an integer")
            }
            return Int(value)
        }
        guard try attrs.contains("schema_version") else {
            throw StoreError(file.path, "not a HeadScope activation file (no schema_version attribute)")
        }
        let version = try string("schema_version")
        guard version == StoreAttributes.schemaVersion else {
            throw StoreError(file.path, "schema \(version) is not \(StoreAttributes.schemaVersion), which this version reads",
                             remedy: "re-run `make extract` with this version of HeadScope")
        }
        let half = try file.root.contains("z") ? try file.root.openDataset("z").datatype == .float16 : false
        let a = StoreAttributes(toolVersion: try string("tool_version"), modelID: try string("model_id"),
                                modelSHA256: try string("model_sha256"), layers: try int("num_layers"),
                                heads: try int("num_heads"), headDim: try int("head_dim"),
                                promptTemplate: try string("prompt_template"), contextPolicy: try string("context_policy"),
                                positionPolicy: try string("position_policy"), judge: try string("judge"), half: half)
        return (a, try int("rows"))
    }
}
