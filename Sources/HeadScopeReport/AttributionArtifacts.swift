import Foundation
import HeadScopeAttribute
import HeadScopeCore

/// What the report shows of `attribution/`: `summary.json`, decoded through the stage's type.
public struct AttributionArtifacts: Sendable {
    public var summary: AttributeStage.Summary

    static func load(_ layout: RunLayout) throws -> StageArtifact<AttributionArtifacts> {
        let directory = layout.attribution
        let manifest: Manifest
        switch try ArtifactLoading.manifest(directory, stage: "attribute", target: "attribute", layout: layout) {
        case .missing(let missing): return .missing(missing)
        case .found(let found): manifest = found
        }
        let summaryURL = directory.appendingPathComponent("summary.json")
        // The stage writes NaN (a curve over images where the ablation changed nothing) as "nan".
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let summary = try ArtifactLoading.decode(AttributeStage.Summary.self, from: summaryURL, target: "attribute", decoder: decoder)
        guard summary.meanAttribution.count == summary.grid.count else {
            throw ReportError(file: summaryURL.path, "mean_attribution has \(summary.meanAttribution.count) values, the grid "
                              + "\(summary.grid.layers) x \(summary.grid.heads)", remedy: "re-run `make attribute`")
        }
        return .present(Loaded(value: AttributionArtifacts(summary: summary), manifest: manifest, directory: directory,
                               sources: [layout.display(summaryURL)]))
    }
}
