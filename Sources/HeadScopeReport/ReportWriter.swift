import Foundation
import HeadScopeCore

/// Writes the report directory: `index.html`, `summary.txt` and `manifest.json` (stage `report`).
public enum ReportWriter {
    /// What was written.
    public struct Result: Sendable {
        public var html: URL
        public var summary: URL
        /// The plain-text summary, as written to `summary.txt`.
        public var text: String
        public var artifacts: RunArtifacts
    }

    /// Loads the run's artifacts and writes the report. Each file is written atomically; the
    /// manifest goes last, so a report directory with a manifest is complete.
    public static func write(run: URL, output: URL, now: Date = Date()) throws -> Result {
        let artifacts = try RunArtifacts.load(run: run)
        var manifest = Manifest(stage: "report", configuration: .object([
            "run": .string(artifacts.layout.run.path), "output": .string(output.standardizedFileURL.path),
        ]), startedAt: now)
        for (stage, directory, stageManifest) in artifacts.stages {
            if stageManifest != nil {
                manifest.inputs.append(try .hashing(role: "\(stage)-manifest", url: directory.appendingPathComponent(Manifest.fileName)))
            } else {
                manifest.notes.append("stage \(stage) missing: \(artifacts.layout.display(directory))")
            }
        }
        let html = try ReportPage(artifacts: artifacts, generatedAt: now).html()
        let text = TextSummary.text(artifacts)
        do {
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        } catch {
            throw ReportError(file: output.path, "cannot create the output directory: \(error)")
        }
        let manifestURL = output.appendingPathComponent(Manifest.fileName)
        if FileManager.default.fileExists(atPath: manifestURL.path) { try? FileManager.default.removeItem(at: manifestURL) }
        let htmlURL = output.appendingPathComponent("index.html"), summaryURL = output.appendingPathComponent("summary.txt")
        try AtomicFile.write(html, to: htmlURL)
        try AtomicFile.write(text, to: summaryURL)
        manifest.counts = [
            "stages_present": artifacts.stages.filter { $0.manifest != nil }.count,
            "stages_missing": artifacts.stages.filter { $0.manifest == nil }.count,
            "html_bytes": html.utf8.count,
        ]
        manifest.outputs = [try .hashing("index.html", in: output), try .hashing("summary.txt", in: output)]
        manifest.finish()
        try manifest.save(inDirectory: output)
        return Result(html: htmlURL, summary: summaryURL, text: text, artifacts: artifacts)
    }
}
