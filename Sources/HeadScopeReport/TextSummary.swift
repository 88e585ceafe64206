import Foundation

/// The plain-text summary (`summary.txt`, also printed): the report's headline numbers, with
/// the same formatting as the HTML.
public enum TextSummary {
    public static func text(_ artifacts: RunArtifacts) -> String {
        var out = "HeadScope report: \(artifacts.layout.run.lastPathComponent) (\(artifacts.layout.run.path))\n"
        func missing(_ m: Missing?) { if let m { out += "  missing: \(m.reason); \(m.remedy)\n" } }
        func missingOf<T>(_ a: StageArtifact<T>) -> Missing? { if case .missing(let m) = a { return m }; return nil }

        out += "\nDataset (prepared/)\n"
        if let dataset = artifacts.dataset.value {
            let stats = DatasetStatistics(dataset)
            out += "  \(stats.items) main questions, \(stats.steps) subquestions; splits: "
                + stats.splits.map { "\($0.split) \($0.items)" }.joined(separator: ", ") + "\n"
            for line in stats.labelCounts { out += "  \(pad(line.label, 34)) \(line.count)\n" }
        } else { missing(missingOf(artifacts.dataset)) }

        out += "\nModel accuracy per function (activations/)\n"
        if let extraction = artifacts.extraction.value {
            let stats = AccuracyStatistics(extraction, labels: artifacts.dataset.value?.labels ?? [])
            for line in stats.lines + [stats.overall] {
                out += "  \(pad(line.label, 34)) \(ReportFormat.fixed(line.accuracy ?? .nan))  (\(line.correct)/\(line.total))\n"
            }
        } else { missing(missingOf(artifacts.extraction)) }

        out += "\nFunctional heads (probes/)\n"
        if let probes = artifacts.probes.value {
            let stats = ProbeStatistics(probes)
            out += "  \(pad("function", 34)) heads  above  \(probes.heads.rankBy.rawValue) min..max  best\n"
            for line in stats.lines {
                out += "  \(pad(line.function, 34)) \(pad("\(line.functionalHeads)", 6)) \(pad("\(line.aboveThreshold)", 6)) "
                    + "\(ReportFormat.fixed(line.minScore))..\(ReportFormat.fixed(line.maxScore))  "
                    + (line.best.map { "L\($0.layer) H\($0.head)" } ?? "n/a") + "\n"
            }
        } else { missing(missingOf(artifacts.probes)) }

        out += "\nInterventions (interventions/): delta of agreement, 95% interval\n"
        if let interventions = artifacts.interventions.value {
            for function in interventions.functions {
                let rows = interventions.rows(of: function)
                guard let top = rows.first(where: { $0.kind == .ablateTop }) else { continue }
                let random = rows.first { $0.kind == .ablateRandom && $0.seeds != nil } ?? rows.first { $0.kind == .ablateRandom }
                out += "  \(pad(function, 34)) top-k \(ReportFormat.signed(top.delta)) "
                    + "\(ReportFormat.interval(top.deltaCILow, top.deltaCIHigh, signed: true)) \(top.verdict)"
                    + (random.map { "; random-k \(ReportFormat.signed($0.delta)) \($0.verdict)" } ?? "") + "\n"
            }
        } else { missing(missingOf(artifacts.interventions)) }

        out += "\nHead attribution (attribution/)\n"
        if let summary = artifacts.attribution.value?.summary {
            out += "  \(summary.images.count) images, \(summary.modelRuns) model runs, mean held-out correlation "
                + "\(ReportFormat.fixed(summary.meanHeldOutCorrelation))\n"
            out += "  top heads: " + summary.topHeads.prefix(10).map { "L\($0.layer)H\($0.head)" }.joined(separator: " ") + "\n"
        } else { missing(missingOf(artifacts.attribution)) }

        let chain = ChainCheck(artifacts)
        out += "\nInput chain: " + (chain.isConsistent ? "every recorded input matches this run (\(chain.links.count) checked)\n"
            : "MISMATCH: " + chain.links.filter { !$0.matches }.map { "\($0.stage) \($0.role) (\($0.path))" }.joined(separator: ", ") + "\n")
        return out
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
