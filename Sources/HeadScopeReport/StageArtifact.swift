import Foundation
import HeadScopeCore

/// One stage's artifacts as the report sees them: loaded with the manifest they came from, or
/// missing (the stage has not run), with the command that produces them.
public enum StageArtifact<Value: Sendable>: Sendable {
    case present(Loaded<Value>)
    case missing(Missing)

    /// The loaded artifacts, or nil when the stage is missing.
    public var loaded: Loaded<Value>? {
        if case .present(let loaded) = self { return loaded }
        return nil
    }

    /// The value, or nil when the stage is missing.
    public var value: Value? { loaded?.value }
}

/// A stage whose output is not there.
public struct Missing: Sendable, Equatable {
    /// The stage name (`attribute`, ...).
    public var stage: String
    /// The directory that was looked for.
    public var directory: String
    /// Why it counts as missing (no directory, no manifest, manifest unfinished).
    public var reason: String
    /// The make target that produces it.
    public var remedy: String
}

/// A stage's artifacts, its manifest, and the files every number was read from.
public struct Loaded<Value: Sendable>: Sendable {
    /// What the report reads from the stage.
    public var value: Value
    /// The stage's finished manifest.
    public var manifest: Manifest
    /// The stage directory.
    public var directory: URL
    /// Files read, relative to the run directory, in reading order.
    public var sources: [String]
}

/// A stage's manifest, or why the stage counts as missing.
enum ManifestLookup {
    case found(Manifest)
    case missing(Missing)
}

/// Loading helpers shared by the per-stage loaders.
enum ArtifactLoading {
    /// Loads a finished stage's manifest, or says why the stage counts as missing.
    ///
    /// A directory without `manifest.json`, or with a manifest that never finished, is a stage
    /// that did not complete (stages write the manifest last). A manifest that exists but does
    /// not parse, or names another stage, is a corrupt artifact and throws.
    static func manifest(_ directory: URL, stage: String, target: String, layout: RunLayout) throws -> ManifestLookup {
        let url = directory.appendingPathComponent(Manifest.fileName)
        let missing = { (reason: String) in
            Missing(stage: stage, directory: layout.display(directory), reason: reason, remedy: "run `make \(target)`")
        }
        guard FileManager.default.fileExists(atPath: directory.path) else { return .missing(missing("no \(layout.display(directory))/ directory")) }
        guard FileManager.default.fileExists(atPath: url.path) else { return .missing(missing("no manifest.json: the stage has not finished")) }
        let manifest: Manifest
        do {
            manifest = try Manifest.load(from: url)
        } catch {
            throw ReportError(file: url.path, "\(error)", remedy: "re-run `make \(target)`")
        }
        guard manifest.stage == stage else {
            throw ReportError(file: url.path, "the manifest of stage `\(manifest.stage)`, expected `\(stage)`",
                              remedy: "re-run `make \(target)`")
        }
        guard manifest.finishedAt != nil else { return .missing(missing("the manifest has no finished_at: the stage never finished")) }
        return .found(manifest)
    }

    /// Reads a file the manifest promises, naming it when it is missing.
    static func data(_ url: URL, target: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ReportError(file: url.path, "missing or unreadable although the stage's manifest is finished",
                              remedy: "re-run `make \(target)`")
        }
        return data
    }

    /// Decodes a JSON file, naming the file and the key path on failure.
    static func decode<T: Decodable>(_ type: T.Type, from url: URL, target: String,
                                     decoder: JSONDecoder = JSONDecoder()) throws -> T {
        let data = try data(url, target: target)
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ReportError(file: url.path, "not a valid \(url.lastPathComponent): \(describe(error))",
                              remedy: "re-run `make \(target)`")
        } catch {
            throw ReportError(file: url.path, "not valid JSON: \(error)", remedy: "re-run `make \(target)`")
        }
    }

    /// Wraps any error thrown while reading `url` into a `ReportError` naming it.
    static func reading<T>(_ url: URL, target: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ReportError {
            throw error
        } catch {
            throw ReportError(file: url.path, "cannot be read: \(error)", remedy: "re-run `make \(target)`")
        }
    }

    /// A DecodingError as one line with its key path.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "(top level)" : String(keys.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key `\(key.stringValue)` at \(path(context))"
        case .typeMismatch(_, let context): return "\(path(context)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "\(path(context)): unexpected null"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
