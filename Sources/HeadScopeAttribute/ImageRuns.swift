import Foundation
import HeadScopeCore
import HeadScopeHDF5

/// The raw material of one image's attribution: the keep-masks drawn and what each run gave.
/// Kept on disk so fits can be redone without the model.
public struct ImageRuns: Sendable, Equatable {
    public var imageID: String
    public var itemID: String
    public var targetToken: Int
    public var grid: HeadGrid
    /// Row-major `[runs, grid.count]`, 1 = the head kept image access.
    public var masks: [UInt8]
    public var logits: [Float]
    public var margins: [Float]
    /// The unablated run's outcome (every head keeps image access).
    public var full: AnswerOutcome
    /// Every head ablated.
    public var empty: AnswerOutcome
    /// Settings that produced the masks; a resumed run reuses the file only when they match.
    public var fingerprint: String

    public init(imageID: String, itemID: String, targetToken: Int, grid: HeadGrid, masks: [UInt8], logits: [Float],
                margins: [Float], full: AnswerOutcome, empty: AnswerOutcome, fingerprint: String) {
        self.imageID = imageID; self.itemID = itemID; self.targetToken = targetToken; self.grid = grid
        self.masks = masks; self.logits = logits; self.margins = margins
        self.full = full; self.empty = empty; self.fingerprint = fingerprint
    }

    public var count: Int { logits.count }

    public func outcomes(_ kind: OutcomeKind) -> [Float] { kind == .logit ? logits : margins }
}

/// HDF5 layout of `ImageRuns` (one group per image; documented in docs/attribution.md).
public enum RunsFile {
    public static let schemaVersion: Int64 = 1

    /// Writes `runs` into `group` (datasets `masks`, `logit`, `margin`; attributes for the rest).
    public static func write(_ runs: ImageRuns, into group: HDF5Group) throws {
        let m = runs.count, k = runs.grid.count
        try group.createDataset("masks", values: runs.masks, shape: [m, k],
                                options: m > 0 ? .chunked([min(m, 1024), k]) : .contiguous)
        try group.createDataset("logit", values: runs.logits, shape: [m])
        try group.createDataset("margin", values: runs.margins, shape: [m])
        let a = group.attributes
        try a.write("image_id", runs.imageID)
        try a.write("item_id", runs.itemID)
        try a.write("target_token", Int64(runs.targetToken))
        try a.write("layers", Int64(runs.grid.layers))
        try a.write("heads", Int64(runs.grid.heads))
        try a.write("full_logit", runs.full.logit)
        try a.write("full_margin", runs.full.margin)
        try a.write("empty_logit", runs.empty.logit)
        try a.write("empty_margin", runs.empty.margin)
        try a.write("fingerprint", runs.fingerprint)
    }

    public static func read(from group: HDF5Group) throws -> ImageRuns {
        let a = group.attributes
        func int(_ name: String) throws -> Int {
            guard let v = try a.read(name).int64 else { throw AttributionError("\(group.filePath):\(group.path): attribute \(name) is not an integer") }
            return Int(v)
        }
        func float(_ name: String) throws -> Float {
            guard let v = try a.read(name).double else { throw AttributionError("\(group.filePath):\(group.path): attribute \(name) is not a number") }
            return Float(v)
        }
        func string(_ name: String) throws -> String {
            guard let v = try a.read(name).string else { throw AttributionError("\(group.filePath):\(group.path): attribute \(name) is not a string") }
            return v
        }
        let grid = HeadGrid(layers: try int("layers"), heads: try int("heads"))
        let masks = try group.openDataset("masks").read(as: UInt8.self)
        let logits = try group.openDataset("logit").read(as: Float.self)
        let margins = try group.openDataset("margin").read(as: Float.self)
        guard masks.count == logits.count * grid.count, margins.count == logits.count else {
            throw AttributionError("\(group.filePath):\(group.path): \(masks.count) mask values, \(logits.count) logits, \(margins.count) margins do not fit \(grid.count) heads",
                                   remedy: "delete the file; the next run redoes the image")
        }
        return ImageRuns(imageID: try string("image_id"), itemID: try string("item_id"), targetToken: try int("target_token"),
                         grid: grid, masks: masks, logits: logits, margins: margins,
                         full: AnswerOutcome(logit: try float("full_logit"), margin: try float("full_margin")),
                         empty: AnswerOutcome(logit: try float("empty_logit"), margin: try float("empty_margin")),
                         fingerprint: try string("fingerprint"))
    }

    /// Writes one image's runs as its own file, atomically (complete or absent).
    public static func save(_ runs: ImageRuns, to url: URL) throws {
        try AtomicFile.write(try HDF5File.buildImage(name: url.path) { file in
            try file.attributes.write("schema_version", schemaVersion)
            try write(runs, into: file.root)
        }, to: url)
    }

    public static func load(from url: URL) throws -> ImageRuns {
        let file = try HDF5File.open(url.path)
        defer { try? file.close() }
        return try read(from: file.root)
    }

    /// Gathers every image's runs into one file (`/images/<image id>/...`), atomically.
    public static func saveCombined(_ all: [ImageRuns], to url: URL) throws {
        try AtomicFile.write(try HDF5File.buildImage(name: url.path) { file in
            try file.attributes.write("schema_version", schemaVersion)
            try file.attributes.write("images", .strings(all.map(\.imageID)))
            for runs in all {
                try write(runs, into: try file.root.createGroup("images/\(runs.imageID)"))
            }
        }, to: url)
    }
}
