import Foundation
import HeadScopeCore

/// Every stage's artifacts of one run, each loaded or marked missing.
public struct RunArtifacts: Sendable {
    public var layout: RunLayout
    public var dataset: StageArtifact<DatasetArtifacts>
    public var extraction: StageArtifact<ExtractionArtifacts>
    public var probes: StageArtifact<ProbeArtifacts>
    public var interventions: StageArtifact<InterventionArtifacts>
    public var attribution: StageArtifact<AttributionArtifacts>

    /// Loads what is there. Missing stages are recorded; unreadable artifacts throw a
    /// `ReportError` naming the file.
    public static func load(run: URL) throws -> RunArtifacts {
        let layout = RunLayout(run: run)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: layout.run.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError(file: layout.run.path, "no run directory here",
                              remedy: "run the pipeline first (`make demo`), or pass --run runs/<pipeline>")
        }
        return RunArtifacts(layout: layout, dataset: try DatasetArtifacts.load(layout),
                            extraction: try ExtractionArtifacts.load(layout), probes: try ProbeArtifacts.load(layout),
                            interventions: try InterventionArtifacts.load(layout),
                            attribution: try AttributionArtifacts.load(layout))
    }

    /// The stages in pipeline order: name, directory and manifest (nil when missing).
    public var stages: [(stage: String, directory: URL, manifest: Manifest?)] {
        [("prepare", layout.prepared, dataset.loaded?.manifest),
         ("extract", layout.activations, extraction.loaded?.manifest),
         ("probe", layout.probes, probes.loaded?.manifest),
         ("intervene", layout.interventions, interventions.loaded?.manifest),
         ("attribute", layout.attribution, attribution.loaded?.manifest)]
    }
}
