import HeadScopeCore
import Foundation
import HeadScopeHDF5
@testable import HeadScopeProbe

/// Writes activation stores in the documented schema (docs/activation-format.md) through
/// HeadScopeHDF5: shards with `z` and the row tables, and `index.h5` with a virtual `z` over the
/// shards and copied tables.
struct SyntheticStore {
    struct Row {
        var item: String
        var step: Int32
        var function: String
        var correct: Int8
        var split: String?
    }

    var layers: Int, heads: Int, headDim: Int
    var rows: [Row]
    /// `[N, L, H, D]`.
    var z: [Float]
    var schemaVersion = ActivationStoreReader.schemaVersion

    /// A planted-signal store: `items` chains cycling through `functions`, Gaussian `z`, and for
    /// function i a shift of `signal` along a fixed direction in head `planted[i]` (layer, head).
    static func planted(functions: [String], planted: [(Int, Int)], items: Int, layers: Int, heads: Int,
                        headDim: Int, signal: Float, wrongEvery: Int = 9, seed: UInt64 = 7) -> SyntheticStore {
        var generator = SeededGenerator(seed: seed)
        func gaussian() -> Float {
            let u1 = max(Double(generator.next() >> 11) / Double(1 << 53), 1e-12)
            let u2 = Double(generator.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
        var rows: [Row] = []
        for item in 0..<items {
            var order = Array(functions.indices)
            generator.shuffle(&order)
            for (step, f) in order.enumerated() {
                let index = rows.count
                rows.append(Row(item: "item-\(item)", step: Int32(step), function: functions[f],
                                correct: index % wrongEvery == wrongEvery - 1 ? 0 : 1,
                                split: item % 5 == 4 ? "test" : "train"))
            }
        }
        let directions: [[Float]] = functions.indices.map { _ in
            var v = (0..<headDim).map { _ in gaussian() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / norm }
            return v
        }
        var z = [Float](repeating: 0, count: rows.count * layers * heads * headDim)
        for i in z.indices { z[i] = gaussian() }
        for (r, row) in rows.enumerated() {
            guard let f = functions.firstIndex(of: row.function) else { continue }
            let (l, h) = planted[f]
            let base = ((r * layers + l) * heads + h) * headDim
            for j in 0..<headDim { z[base + j] += signal * directions[f][j] }
        }
        return SyntheticStore(layers: layers, heads: heads, headDim: headDim, rows: rows, z: z)
    }

    /// Writes `directory/shards/shard-*.h5` and `directory/index.h5`.
    func write(to directory: URL, shards: Int = 2, withSplit: Bool = true, indexTables: Bool = true) throws {
        let shardDirectory = directory.appendingPathComponent("shards")
        try FileManager.default.createDirectory(at: shardDirectory, withIntermediateDirectories: true)
        let n = rows.count, perRow = layers * heads * headDim
        var sources: [HDF5VirtualSource] = []
        let bounds = (0...shards).map { n * $0 / shards }
        for s in 0..<shards {
            let range = bounds[s]..<bounds[s + 1]
            let name = String(format: "shard-%05d-of-%05d.h5", s, shards)
            let path = shardDirectory.appendingPathComponent(name).path
            let file = try HDF5File.create(path)
            try writeAttributes(file.root, rows: range.count)
            try file.root.attributes.write("shard_index", Int64(s))
            try file.root.attributes.write("shard_count", Int64(shards))
            try file.root.createDataset("z", values: Array(z[(range.lowerBound * perRow)..<(range.upperBound * perRow)]),
                                        shape: [range.count, layers, heads, headDim],
                                        options: .chunked([max(1, min(range.count, 256)), 1, heads, headDim]))
            try writeTables(file.root, rows: Array(rows[range]), withSplit: withSplit)
            try file.close()
            sources.append(HDF5VirtualSource(file: path, dataset: "z", shape: [range.count, layers, heads, headDim],
                                             destination: Hyperslab(start: [range.lowerBound, 0, 0, 0],
                                                                    count: [range.count, layers, heads, headDim])))
        }
        let index = try HDF5File.create(directory.appendingPathComponent("index.h5").path)
        try writeAttributes(index.root, rows: n)
        try index.root.createVirtualDataset("z", datatype: .float32, shape: [n, layers, heads, headDim], sources: sources)
        if indexTables { try writeTables(index.root, rows: rows, withSplit: withSplit) }
        try index.close()
    }

    private func writeAttributes(_ root: HDF5Group, rows count: Int) throws {
        try root.attributes.write("schema_version", schemaVersion)
        try root.attributes.write("tool_version", "0.1.0")
        try root.attributes.write("model_id", "synthetic")
        try root.attributes.write("num_layers", Int64(layers))
        try root.attributes.write("num_heads", Int64(heads))
        try root.attributes.write("head_dim", Int64(headDim))
        try root.attributes.write("position_policy", "mean")
        try root.attributes.write("rows", Int64(count))
    }

    private func writeTables(_ root: HDF5Group, rows: [Row], withSplit: Bool) throws {
        try root.createDataset("item_id", strings: rows.map(\.item))
        try root.createDataset("step", values: rows.map(\.step), shape: [rows.count])
        try root.createDataset("function", strings: rows.map(\.function))
        try root.createDataset("correct", values: rows.map(\.correct), shape: [rows.count])
        if withSplit { try root.createDataset("split", strings: rows.map { $0.split ?? "train" }) }
    }
}
