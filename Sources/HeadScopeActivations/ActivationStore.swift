import Foundation
import HeadScopeCore
import HeadScopeHDF5

/// An activation store directory: immutable shards under `shards/` and `index.h5` presenting them
/// as one dataset (see docs/activation-format.md).
public struct ActivationStore: Sendable {
    public static let indexName = "index.h5"
    public static let shardsDirectory = "shards"

    /// The string and integer row tables, in file order.
    static let stringTables = ["item_id", "function", "subquestion", "reference_answer", "model_answer",
                               "raw_output", "image", "split"]
    static let int32Tables = ["step", "answer_start", "answer_length", "token_index"]

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public var shardsURL: URL { directory.appendingPathComponent(Self.shardsDirectory) }
    public var indexURL: URL { directory.appendingPathComponent(Self.indexName) }

    /// The URL of shard `index` of `count`.
    public func shardURL(index: Int, count: Int) -> URL {
        shardsURL.appendingPathComponent(ShardFile.name(index: index, count: count))
    }

    /// The shards present under `shards/`, by index, for stores cut into `count` shards. Shards
    /// of another count are reported as an error (the work was split differently).
    public func presentShards(count: Int) throws -> Set<Int> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: shardsURL.path)) ?? []
        var present = Set<Int>()
        for name in names {
            guard let parsed = ShardFile.parse(name: name) else { continue }
            guard parsed.count == count else {
                throw StoreError(shardsURL.appendingPathComponent(name).path,
                                 "this shard belongs to a run cut into \(parsed.count) shards, not \(count)",
                                 remedy: "keep the same shard size as the first run, or remove \(shardsURL.path) to start over")
            }
            present.insert(parsed.index)
        }
        return present
    }

    /// What an index rebuild found.
    public struct IndexReport: Sendable, Equatable {
        public var shardCount: Int
        public var present: [Int]
        public var missing: [Int]
        public var rows: Int
        public var isComplete: Bool { missing.isEmpty }
    }

    /// Rebuilds `index.h5` over every shard present (atomically) and says which are missing.
    ///
    /// All shards must agree on model, geometry, prompt and policies (`StoreAttributes`); a shard
    /// that disagrees is an error naming it, never silently mixed in.
    @discardableResult
    public func buildIndex() throws -> IndexReport {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: shardsURL.path)) ?? [])
            .compactMap { name in ShardFile.parse(name: name).map { (name, $0.index, $0.count) } }
            .sorted { $0.1 < $1.1 }
        guard let count = names.first?.2 else {
            throw StoreError(shardsURL.path, "no shards to index", remedy: "run `headscope-extract` first")
        }
        if let odd = names.first(where: { $0.2 != count }) {
            throw StoreError(shardsURL.appendingPathComponent(odd.0).path,
                             "shards of runs cut into \(count) and \(odd.2) shards are mixed",
                             remedy: "remove the shards of one of the runs")
        }
        var attributes: StoreAttributes?
        var sources: [(url: URL, rows: Int)] = []
        var tables: [String: [String]] = [:]
        var ints: [String: [Int32]] = [:]
        var correct: [Int8] = []
        for (name, _, _) in names {
            let url = shardsURL.appendingPathComponent(name)
            let file = try HDF5File.open(url.path)
            defer { try? file.close() }
            let (shardAttributes, rows) = try ShardFile.attributes(of: file)
            if let attributes, let difference = attributes.incompatibility(with: shardAttributes) {
                throw StoreError(url.path, "does not match the other shards (\(difference))",
                                 remedy: "shards from different models or settings cannot be merged; remove the stale ones")
            }
            attributes = attributes ?? shardAttributes
            sources.append((url, rows))
            for table in Self.stringTables { tables[table, default: []] += try file.root.openDataset(table).readStrings() }
            for table in Self.int32Tables { ints[table, default: []] += try file.root.openDataset(table).read(as: Int32.self) }
            correct += try file.root.openDataset("correct").read(as: Int8.self)
        }
        guard let attributes else { throw StoreError(shardsURL.path, "no shards to index") }
        let total = sources.reduce(0) { $0 + $1.rows }
        do {
            try writeIndex(attributes: attributes, sources: sources, tables: tables, ints: ints, correct: correct,
                           shardCount: count)
        } catch {
            guard let shortage = SpaceShortage(error) else { throw error }
            throw StoreError(indexURL.path, "cannot write the index: \(shortage.explanation); the unfinished file was removed",
                             remedy: "the \(sources.count) shards present are complete and kept; \(shortage.advice(for: directory.path)), then rerun (`headscope-extract --merge` writes just the index)",
                             shortage: shortage)
        }
        let present = names.map(\.1)
        let missing = (0..<count).filter { !Set(present).contains($0) }
        return IndexReport(shardCount: count, present: present, missing: missing, rows: total)
    }

    /// Writes `index.h5` atomically: the virtual `z` over `sources` and the copied row tables,
    /// built in memory and then written (as shards are, see `ShardFile`).
    private func writeIndex(attributes: StoreAttributes, sources: [(url: URL, rows: Int)], tables: [String: [String]],
                            ints: [String: [Int32]], correct: [Int8], shardCount count: Int) throws {
        let total = sources.reduce(0) { $0 + $1.rows }
        let file = try HDF5File.createInMemory(name: indexURL.path)
        try ShardFile.writeAttributes(attributes, rows: total, to: file.attributes)
        try file.attributes.write("shard_count", Int64(count))
        try file.attributes.write("shards_present", Int64(sources.count))
        var offset = 0
        var mappings: [HDF5VirtualSource] = []
        for source in sources where source.rows > 0 {
            let shape = ShardFile.zShape(rows: source.rows, attributes)
            mappings.append(HDF5VirtualSource(
                file: source.url.path, dataset: "/z", shape: shape,
                destination: Hyperslab(start: [offset, 0, 0, 0], count: shape)))
            offset += source.rows
        }
        try file.root.createVirtualDataset("z", datatype: attributes.half ? .float16 : .float32,
                                           shape: ShardFile.zShape(rows: total, attributes), sources: mappings)
        for table in Self.stringTables {
            try file.root.createDataset(table, strings: tables[table] ?? [])
        }
        for table in Self.int32Tables {
            try file.root.createDataset(table, values: ints[table] ?? [], shape: [total])
        }
        try file.root.createDataset("correct", values: correct, shape: [total])
        try AtomicFile.write(try file.closeReturningImage(), to: indexURL)
    }
}
