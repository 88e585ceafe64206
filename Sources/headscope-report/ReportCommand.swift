import ArgumentParser
import Foundation
import HeadScopeCore
import HeadScopeReport

/// `headscope-report`: stage 6, one self-contained HTML report over a run's artifacts.
@main
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headscope-report",
        abstract: "Write one self-contained HTML report (and a plain-text summary) over a pipeline run's artifacts.",
        discussion: """
            Reads whatever stages have finished under the run directory (prepared/, activations/, \
            probes/, interventions/, attribution/, each with its manifest.json) and writes \
            <output>/index.html (inline CSS and SVG charts, images embedded as data: URIs, no \
            script, nothing fetched from the network), <output>/summary.txt and \
            <output>/manifest.json, then prints the summary. A stage that has not run is shown as \
            missing, with the make target that produces it; an artifact that exists but cannot be \
            read stops the report with an error naming the file. The run directory is \
            runs/<pipeline> for --config pipelines/<pipeline>.yaml (as every stage derives it), or \
            --run. See docs/report.md.
            """,
        version: ToolVersion.string)

    @Option(name: .long, help: "A pipeline YAML; the run directory is runs/<its file name without .yaml> under the project directory.")
    var config: String?

    @Option(name: .customLong("run"), help: "The run directory (runs/<pipeline>), instead of --config.")
    var runPath: String?

    @Option(name: .long, help: "The output directory (default: <run>/report).")
    var output: String?

    @Flag(name: .long, help: "Do not print the summary to stdout.")
    var quiet = false

    func run() throws {
        let summary = StageMain.run { () throws -> ReportWriter.Result in
            let path = URL.init(commandLinePath:)
            let runDirectory: URL
            switch (config, runPath) {
            case (let config?, nil):
                let file = try ConfigFile.load(path(config), displayPath: config)
                runDirectory = RunLayout.run(forConfig: file.url, baseDirectory: file.baseDirectory)
            case (nil, let run?):
                runDirectory = path(run)
            case (.some, .some):
                throw StageError("give --config or --run, not both")
            case (nil, nil):
                throw StageError("no run given", remedy: "pass --config pipelines/<name>.yaml or --run runs/<name>")
            }
            let layout = RunLayout(run: runDirectory)
            return try ReportWriter.write(run: runDirectory, output: output.map(path) ?? layout.report)
        }
        if !quiet { print(summary.text, terminator: "") }
        Log.info("report: \(summary.html.path)")
    }
}
