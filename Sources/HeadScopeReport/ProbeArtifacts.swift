import Foundation
import HeadScopeCore
import HeadScopeHDF5
import HeadScopeProbe

/// What the report shows of `probes/`: the functional-head sets and every head's ranking score.
public struct ProbeArtifacts: Sendable {
    /// `functional_heads.json`, decoded through the probe stage's own type.
    public var heads: FunctionalHeadsReport
    /// The ranking score (`rank_by`) of every (layer, head), layer-major, per function label.
    public var scores: [String: [Double]]

    /// Functions in the order of `functional_heads.json`.
    public var functions: [String] { heads.functions.map(\.function) }

    /// Loads `functional_heads.json` and the ranking score grids of `scores.h5`.
    static func load(_ layout: RunLayout) throws -> StageArtifact<ProbeArtifacts> {
        let directory = layout.probes
        let manifest: Manifest
        switch try ArtifactLoading.manifest(directory, stage: "probe", target: "probe", layout: layout) {
        case .missing(let missing): return .missing(missing)
        case .found(let found): manifest = found
        }
        let headsURL = directory.appendingPathComponent("functional_heads.json")
        let heads = try ArtifactLoading.decode(FunctionalHeadsReport.self, from: headsURL, target: "probe")
        let cells = heads.numLayers * heads.numHeads
        for set in heads.functions {
            for head in set.top where !(0..<heads.numLayers).contains(head.layer) || !(0..<heads.numHeads).contains(head.head) {
                throw ReportError(file: headsURL.path, "function \(set.function): head (\(head.layer), \(head.head)) is outside "
                                  + "\(heads.numLayers) layers x \(heads.numHeads) heads", remedy: "re-run `make probe`")
            }
        }
        let scoresURL = directory.appendingPathComponent("scores.h5")
        let scoreName = heads.rankBy.rawValue
        let scores = try ArtifactLoading.reading(scoresURL, target: "probe") { () throws -> [String: [Double]] in
            let file = try HDF5File.open(scoresURL.path)
            defer { try? file.close() }
            let probes = try file.root.openGroup("probes")
            var scores: [String: [Double]] = [:]
            for slug in try probes.childNames() {
                let group = try probes.openGroup(slug)
                guard let function = try group.attributes.read("function").string else {
                    throw ReportError(file: scoresURL.path, "probes/\(slug) has no string attribute `function`",
                                      remedy: "re-run `make probe`")
                }
                let dataset = try group.openDataset(scoreName)
                let values = try dataset.read(as: Double.self)
                guard values.count == cells else {
                    throw ReportError(file: scoresURL.path, "probes/\(slug)/\(scoreName) has \(values.count) values, expected "
                                      + "\(heads.numLayers) x \(heads.numHeads)", remedy: "re-run `make probe`")
                }
                scores[function] = values
            }
            return scores
        }
        for function in heads.functions.map(\.function) where scores[function] == nil {
            throw ReportError(file: scoresURL.path, "no probe scores for function \(function) named in functional_heads.json",
                              remedy: "re-run `make probe`")
        }
        return .present(Loaded(value: ProbeArtifacts(heads: heads, scores: scores), manifest: manifest, directory: directory,
                               sources: [layout.display(headsURL), layout.display(scoresURL) + " (probes/<function>/\(scoreName))"]))
    }
}
