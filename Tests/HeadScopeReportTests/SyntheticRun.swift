import Foundation
import HeadScopeCore
import TestSupport

/// A run directory with a hand-written `prepared/` (and optionally a probes/ manifest), so the
/// report can be tested without running the model. Every number the tests expect is counted
/// here from the literal data below, not by the report's code.
struct SyntheticRun {
    let run: URL
    var prepared: URL { run.appendingPathComponent("prepared") }

    static let labels = ["Low-Level Vision Reception", "Math Reasoning", "Inference"]
    /// Items: id, split, task, steps (function labels).
    static let items: [(id: String, split: String, task: String, steps: [String])] = [
        ("a", "train", "count_left", ["Low-Level Vision Reception", "Math Reasoning", "Inference"]),
        ("b", "train", "corners", ["Low-Level Vision Reception", "Inference"]),
        ("c", "test", "count_left", ["Math Reasoning", "Math Reasoning"]),
    ]
    /// A 1x1 PNG (red pixel).
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC") ?? Data()

    init() throws {
        run = try TestSupport.scratchDirectory("report").appendingPathComponent("runs/synthetic")
        let fm = FileManager.default
        try fm.createDirectory(at: prepared.appendingPathComponent("images"), withIntermediateDirectories: true)
        var lines = ""
        for item in Self.items {
            let steps = item.steps.enumerated().map { i, f in
                "{\"subquestion\":\"Q\(i) of \(item.id)?\",\"answer\":\"\(i)\",\"function\":\"\(f)\"}"
            }.joined(separator: ",")
            lines += "{\"id\":\"\(item.id)\",\"image_id\":\"img-\(item.id)\",\"question\":\"Main \(item.id)?\",\"options\":{},"
                + "\"final_answer\":\"1\",\"source\":\"test\",\"split\":\"\(item.split)\",\"steps\":[\(steps)],"
                + "\"tags\":{\"task\":\"\(item.task)\"}}\n"
            try Self.png.write(to: prepared.appendingPathComponent("images/img-\(item.id).png"))
        }
        try lines.write(to: prepared.appendingPathComponent("items.jsonl"), atomically: true, encoding: .utf8)
        let taxonomy = "{\"name\":\"t\",\"labels\":[\(Self.labels.map { "\"\($0)\"" }.joined(separator: ","))]}"
        try taxonomy.write(to: prepared.appendingPathComponent("taxonomy.json"), atomically: true, encoding: .utf8)
        var manifest = Manifest(stage: "prepare")
        manifest.finish()
        try manifest.save(inDirectory: prepared)
    }

    /// Writes a finished manifest of `stage` into `run/<directory>` and returns the directory.
    @discardableResult
    func stage(_ directory: String, stage: String, inputs: [Manifest.Input] = []) throws -> URL {
        let url = run.appendingPathComponent(directory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var manifest = Manifest(stage: stage)
        manifest.inputs = inputs
        manifest.finish()
        try manifest.save(inDirectory: url)
        return url
    }

    /// The built `headscope-report` next to the test bundle.
    static var executable: URL {
        get throws {
            var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            for _ in 0..<6 {
                url = url.deletingLastPathComponent()
                let candidate = url.appendingPathComponent("headscope-report")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            let fallback = TestSupport.repositoryRoot.appendingPathComponent(".build/debug/headscope-report")
            guard FileManager.default.isExecutableFile(atPath: fallback.path) else {
                throw TestSupportError("headscope-report is not built: run `swift build --build-tests`")
            }
            return fallback
        }
    }
}

/// The text of the table rows carrying `data-table="<table>"` and `data-<key>="<value>"`,
/// with tags stripped and cells separated by `|`.
func tableRow(_ html: String, table: String, key: String, value: String) -> String? {
    let marker = "data-table=\"\(table)\" data-\(key)=\"\(value)\""
    guard let start = html.range(of: marker), let end = html.range(of: "</tr>", range: start.upperBound..<html.endIndex) else { return nil }
    let row = String(html[start.upperBound..<end.lowerBound])
    let cells = row.components(separatedBy: "</td>").map { cell in
        cell.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return cells.filter { !$0.isEmpty }.joined(separator: "|").replacingOccurrences(of: ">", with: "", options: [.anchored])
}
