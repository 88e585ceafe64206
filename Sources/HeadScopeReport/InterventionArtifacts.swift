import Foundation
import HeadScopeCore
import HeadScopeIntervene

/// What the report shows of `interventions/`: the summary table, decoded through the stage's type.
public struct InterventionArtifacts: Sendable {
    public var table: SummaryTable

    /// Functions in table order.
    public var functions: [String] {
        var seen: [String] = []
        for row in table.rows where !seen.contains(row.function) { seen.append(row.function) }
        return seen
    }

    /// Rows of one function.
    public func rows(of function: String) -> [SummaryTable.Row] {
        table.rows.filter { $0.function == function }
    }

    static func load(_ layout: RunLayout) throws -> StageArtifact<InterventionArtifacts> {
        let directory = layout.interventions
        let manifest: Manifest
        switch try ArtifactLoading.manifest(directory, stage: "intervene", target: "intervene", layout: layout) {
        case .missing(let missing): return .missing(missing)
        case .found(let found): manifest = found
        }
        let summaryURL = directory.appendingPathComponent("summary.json")
        let table = try ArtifactLoading.decode(SummaryTable.self, from: summaryURL, target: "intervene")
        return .present(Loaded(value: InterventionArtifacts(table: table), manifest: manifest, directory: directory,
                               sources: [layout.display(summaryURL)]))
    }
}
