import Foundation
import HeadScopeHDF5

/// What this stage reads from `probes/` (docs/probes.md): the functional-head sets of
/// `functional_heads.json` and, from `scores.h5`, the model the probes were trained for and every
/// head's ranking score (for bottom-k controls and rank ranges below the top set).
///
/// Only the fields used here are decoded, so later additions to the probe outputs do not break
/// this reader.
public struct ProbeResults: Sendable {
    /// Which set counts as a function's functional heads (`--head-set`).
    public enum HeadSet: String, Sendable, Codable, CaseIterable {
        /// The top `k` heads (`top` in functional_heads.json).
        case top
        /// Every head above the probe stage's threshold (`above_threshold`).
        case threshold
    }

    /// One function's heads.
    public struct Function: Sendable {
        public var name: String
        /// The top set, best first.
        public var top: [HeadRef]
        /// Heads above the threshold, best first.
        public var aboveThreshold: [HeadRef]
        /// Every head, best first by the ranking score (NaN last, ties by layer then head), or
        /// empty when scores.h5 has no scores for the function.
        public var ranking: [HeadRef]

        public func heads(_ set: HeadSet) -> [HeadRef] {
            set == .top ? top : aboveThreshold
        }
    }

    public let directory: URL
    public let layers: Int
    public let heads: Int
    public let headDim: Int
    /// The activation store's model, as recorded in scores.h5 (nil when absent).
    public let modelID: String?
    public let modelSHA256: String?
    public let rankBy: String
    public let functions: [Function]

    public var functionNames: [String] { functions.map(\.name) }

    public func function(_ name: String) -> Function? { functions.first { $0.name == name } }

    /// Reads `functional_heads.json` and `scores.h5` from a probes directory.
    public init(directory: URL) throws {
        self.directory = directory
        let jsonURL = directory.appendingPathComponent("functional_heads.json")
        guard let data = FileManager.default.contents(atPath: jsonURL.path) else {
            throw InterventionError(jsonURL.path, "no functional-head sets here", remedy: "run `make probe` first")
        }
        let report: Report
        do {
            report = try JSONDecoder().decode(Report.self, from: data)
        } catch {
            throw InterventionError(jsonURL.path, "not a functional-heads file (\(error))",
                                    remedy: "re-run `make probe` with this version of HeadScope")
        }
        guard report.schemaVersion == "headscope-functional-heads/1" else {
            throw InterventionError(jsonURL.path, "schema \(report.schemaVersion) is not headscope-functional-heads/1, which this version reads",
                                    remedy: "re-run `make probe` with this version of HeadScope")
        }
        let scoresURL = directory.appendingPathComponent("scores.h5")
        guard FileManager.default.fileExists(atPath: scoresURL.path) else {
            throw InterventionError(scoresURL.path, "missing (the probe scores and the model they were trained for)",
                                    remedy: "run `make probe` first")
        }
        let file = try HDF5File.open(scoresURL.path)
        defer { try? file.close() }
        let attributes = file.attributes
        func int(_ name: String) throws -> Int {
            guard let value = try attributes.read(name).int64 else {
                throw InterventionError(scoresURL.path, "attribute \(name) is not an integer", remedy: "re-run `make probe`")
            }
            return Int(value)
        }
        func string(_ name: String) throws -> String? {
            try attributes.contains(name) ? try attributes.read(name).string : nil
        }
        guard try string("schema_version") == "headscope-probes/1" else {
            throw InterventionError(scoresURL.path, "not a headscope-probes/1 scores file", remedy: "re-run `make probe`")
        }
        layers = try int("num_layers")
        heads = try int("num_heads")
        headDim = try int("head_dim")
        modelID = try string("activations_model_id")
        modelSHA256 = try string("activations_model_sha256")
        rankBy = try string("rank_by") ?? report.rankBy
        guard report.numLayers == layers, report.numHeads == heads else {
            throw InterventionError(directory.path, "functional_heads.json is for \(report.numLayers)x\(report.numHeads) heads but scores.h5 for \(layers)x\(heads)",
                                    remedy: "the two files come from different probe runs; re-run `make probe`")
        }
        // Scores per function, found by the `function` attribute of each probes/<slug> group.
        var scores: [String: [Double]] = [:]
        if try file.root.contains("probes") {
            let group = try file.root.openGroup("probes")
            for child in try group.childNames() {
                let sub = try group.openGroup(child)
                guard try sub.attributes.contains("function"), let name = try sub.attributes.read("function").string,
                      try sub.contains(rankBy) else { continue }
                let values = try sub.openDataset(rankBy).read(as: Double.self)
                if values.count == layers * heads { scores[name] = values }
            }
        }
        let (l, h) = (layers, heads)
        functions = try report.functions.map { entry in
            let convert: ([Report.Head]) throws -> [HeadRef] = { list in
                try list.map { head in
                    guard (0..<l).contains(head.layer), (0..<h).contains(head.head) else {
                        throw InterventionError(jsonURL.path, "function `\(entry.function)` names head (\(head.layer), \(head.head)), outside the \(l)x\(h) grid",
                                                remedy: "re-run `make probe`")
                    }
                    return HeadRef(layer: head.layer, head: head.head)
                }
            }
            return Function(name: entry.function, top: try convert(entry.top),
                            aboveThreshold: try convert(entry.aboveThreshold),
                            ranking: scores[entry.function].map { ProbeResults.rank($0, heads: h) } ?? [])
        }
    }

    /// Heads by descending score; NaN last; ties by (layer, head) — the probe stage's order.
    public static func rank(_ scores: [Double], heads: Int) -> [HeadRef] {
        scores.indices.sorted { a, b in
            let (sa, sb) = (scores[a], scores[b])
            if sa.isNaN != sb.isNaN { return !sa.isNaN }
            if sa != sb && !sa.isNaN { return sa > sb }
            return a < b
        }.map { HeadRef(layer: $0 / heads, head: $0 % heads) }
    }

    /// The subset of functional_heads.json this stage reads.
    struct Report: Decodable {
        struct Head: Decodable { var layer: Int; var head: Int }
        struct Entry: Decodable {
            var function: String
            var top: [Head]
            var aboveThreshold: [Head]
            enum CodingKeys: String, CodingKey { case function, top, aboveThreshold = "above_threshold" }
        }
        var schemaVersion: String
        var rankBy: String
        var numLayers: Int
        var numHeads: Int
        var functions: [Entry]
        enum CodingKeys: String, CodingKey {
            case schemaVersion = "schema_version", rankBy = "rank_by", numLayers = "num_layers"
            case numHeads = "num_heads", functions
        }
    }
}
