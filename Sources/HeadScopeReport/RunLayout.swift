import Foundation

/// The stage directories of one pipeline run (`runs/<pipeline>/`), by the names every stage uses.
public struct RunLayout: Sendable, Equatable {
    /// The run directory, `runs/<pipeline>`.
    public var run: URL

    public init(run: URL) {
        self.run = run.standardizedFileURL
    }

    /// The run directory a pipeline config implies: `<project>/runs/<config file stem>`, the rule
    /// every stage applies (`ConfigFile.baseDirectory`).
    public static func run(forConfig config: URL, baseDirectory: URL) -> URL {
        baseDirectory.appendingPathComponent("runs/\(config.deletingPathExtension().lastPathComponent)")
    }

    public var prepared: URL { run.appendingPathComponent("prepared") }
    public var activations: URL { run.appendingPathComponent("activations") }
    public var probes: URL { run.appendingPathComponent("probes") }
    public var interventions: URL { run.appendingPathComponent("interventions") }
    public var attribution: URL { run.appendingPathComponent("attribution") }
    /// The report's default output directory.
    public var report: URL { run.appendingPathComponent("report") }

    /// A path as the report shows it: relative to the run directory when inside it.
    public func display(_ url: URL) -> String {
        let base = run.path.hasSuffix("/") ? run.path : run.path + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }
}
