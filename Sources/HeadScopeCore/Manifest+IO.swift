import Foundation

extension Manifest {
    /// The deterministic JSON text of this manifest (sorted keys, pretty, trailing newline).
    public func encoded() throws -> Data {
        try JSONValue.encode(self)
    }

    /// Writes the manifest to `url` atomically.
    public func save(to url: URL) throws {
        try AtomicFile.write(encoded(), to: url)
    }

    /// Writes the manifest as `manifest.json` inside `directory`, atomically.
    public func save(inDirectory directory: URL) throws {
        try save(to: directory.appendingPathComponent(Manifest.fileName))
    }

    /// Reads a manifest file. `remedy` is appended to the error when the file is missing or
    /// unreadable (for example "run `make prepare`").
    public static func load(from url: URL, remedy: String? = nil) throws -> Manifest {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            if !FileManager.default.fileExists(atPath: url.path) {
                throw ManifestError.missing(file: url.path, remedy: remedy)
            }
            throw ManifestError.unreadable(file: url.path, reason: "\(error)", remedy: remedy)
        }
        do {
            var manifest = try JSONDecoder().decode(Manifest.self, from: data)
            manifest.location = url
            return manifest
        } catch let error as DecodingError {
            throw ManifestError.unreadable(file: url.path, reason: describe(error), remedy: remedy)
        } catch {
            throw ManifestError.unreadable(file: url.path, reason: "\(error)", remedy: remedy)
        }
    }

    /// Loads `directory/manifest.json` of a finished stage, checking the stage name (when
    /// given) and the schema version. This is what a stage calls on each upstream directory.
    public static func load(stageDirectory directory: URL, expectingStage stage: String? = nil,
                            remedy: String? = nil) throws -> Manifest {
        let remedy = remedy ?? stage.map { "run `make \($0)` first" }
        let manifest = try load(from: directory.appendingPathComponent(fileName), remedy: remedy)
        if let stage { try manifest.requireStage(stage, remedy: remedy) }
        try manifest.requireSchema(currentSchemaVersion...currentSchemaVersion, remedy: remedy)
        try manifest.requireFinished(remedy: remedy)
        return manifest
    }

    // MARK: Validation

    private var displayPath: String { location?.path ?? "manifest" }
    private var rerun: String { "re-run `make \(stage)`" }

    /// Refuses a manifest written by a different stage.
    public func requireStage(_ expected: String, remedy: String? = nil) throws {
        guard stage == expected else {
            throw ManifestError.wrongStage(file: displayPath, expected: expected, found: stage,
                                           remedy: remedy ?? "point the pipeline at the output of `make \(expected)`")
        }
    }

    /// Refuses a manifest whose schema version this build cannot read.
    public func requireSchema(_ supported: ClosedRange<Int>, remedy: String? = nil) throws {
        guard supported.contains(schemaVersion) else {
            throw ManifestError.unsupportedSchema(file: displayPath, supported: supported,
                                                  found: schemaVersion, toolVersion: toolVersion,
                                                  remedy: remedy ?? rerun)
        }
    }

    /// Refuses a manifest whose schema version is not exactly `version`.
    public func requireSchema(_ version: Int, remedy: String? = nil) throws {
        try requireSchema(version...version, remedy: remedy)
    }

    /// Refuses the manifest of a stage that never finished.
    public func requireFinished(remedy: String? = nil) throws {
        guard finishedAt != nil else {
            throw ManifestError.unfinished(file: displayPath, stage: stage, remedy: remedy ?? rerun)
        }
    }

    /// Checks that every recorded input still has the recorded hash (and, for stage outputs, the
    /// recorded manifest hash). Relative paths resolve against `base`.
    public func verifyInputs(relativeTo base: URL) throws {
        for input in inputs { try verify(input, relativeTo: base) }
    }

    /// Checks one recorded input against the file or directory on disk.
    public func verify(_ input: Input, relativeTo base: URL) throws {
        let url = input.path.hasPrefix("/") ? URL(fileURLWithPath: input.path)
            : base.appendingPathComponent(input.path)
        guard AtomicFile.exists(url) else {
            throw ManifestError.inputMissing(file: displayPath, role: input.role, path: url.path, remedy: rerun)
        }
        if let recorded = input.manifestSHA256 {
            let manifestURL = url.appendingPathComponent(Manifest.fileName)
            let found = AtomicFile.exists(manifestURL) ? try ContentHash.file(at: manifestURL) : "(no manifest.json)"
            guard found == recorded else {
                throw ManifestError.inputChanged(file: displayPath, role: input.role, path: manifestURL.path,
                                                 what: "manifest sha256", expected: recorded, found: found,
                                                 remedy: rerun)
            }
        }
        let found = Manifest.isDirectory(url) ? try ContentHash.directory(at: url) : try ContentHash.file(at: url)
        guard found == input.sha256 else {
            throw ManifestError.inputChanged(file: displayPath, role: input.role, path: url.path,
                                             what: "sha256", expected: input.sha256, found: found, remedy: rerun)
        }
    }

    /// Checks that every hashed output in `directory` still has its recorded hash.
    public func verifyOutputs(in directory: URL) throws {
        for output in outputs {
            let url = directory.appendingPathComponent(output.path)
            guard AtomicFile.exists(url) else {
                throw ManifestError.outputMissing(file: displayPath, path: url.path, remedy: rerun)
            }
            guard let recorded = output.sha256 else { continue }
            let found = try ContentHash.file(at: url)
            guard found == recorded else {
                throw ManifestError.outputChanged(file: displayPath, path: url.path, expected: recorded,
                                                  found: found, remedy: rerun)
            }
        }
    }

    /// A DecodingError as one line: what was wrong at which key path.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            let joined = keys.joined()
            return joined.hasPrefix(".") ? String(joined.dropFirst()) : (joined.isEmpty ? "(top level)" : joined)
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing key `\(key.stringValue)`" + (context.codingPath.isEmpty ? "" : " in \(parent)")
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type), \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Why a stage refused a manifest: what was expected, what was found, in which file, and what
/// to do about it.
public enum ManifestError: HeadScopeError, Equatable {
    case missing(file: String, remedy: String?)
    case unreadable(file: String, reason: String, remedy: String?)
    case wrongStage(file: String, expected: String, found: String, remedy: String)
    case unsupportedSchema(file: String, supported: ClosedRange<Int>, found: Int, toolVersion: String, remedy: String)
    case unfinished(file: String, stage: String, remedy: String)
    case inputMissing(file: String, role: String, path: String, remedy: String)
    case inputChanged(file: String, role: String, path: String, what: String, expected: String, found: String, remedy: String)
    case outputMissing(file: String, path: String, remedy: String)
    case outputChanged(file: String, path: String, expected: String, found: String, remedy: String)

    public var description: String {
        func with(_ remedy: String?) -> String { remedy.map { "; \($0)" } ?? "" }
        switch self {
        case let .missing(file, remedy):
            return "\(file): no manifest: the stage that writes it has not finished there\(with(remedy))"
        case let .unreadable(file, reason, remedy):
            return "\(file): not a valid manifest: \(reason)\(with(remedy))"
        case let .wrongStage(file, expected, found, remedy):
            return "\(file): expected the manifest of stage `\(expected)`, found stage `\(found)`\(with(remedy))"
        case let .unsupportedSchema(file, supported, found, toolVersion, remedy):
            let wanted = supported.count == 1 ? "\(supported.lowerBound)" : "\(supported.lowerBound)–\(supported.upperBound)"
            return "\(file): manifest schema version \(found) (written by HeadScope \(toolVersion)), "
                + "this is HeadScope \(ToolVersion.string) which reads schema version \(wanted)\(with(remedy))"
        case let .unfinished(file, stage, remedy):
            return "\(file): stage `\(stage)` started but never finished (no finished_at)\(with(remedy))"
        case let .inputMissing(file, role, path, remedy):
            return "\(file): input `\(role)` is gone: \(path) does not exist\(with(remedy))"
        case let .inputChanged(file, role, path, what, expected, found, remedy):
            return "\(file): input `\(role)` changed since the stage ran: \(path) has \(what) \(found), "
                + "expected \(expected)\(with(remedy))"
        case let .outputMissing(file, path, remedy):
            return "\(file): output \(path) is missing\(with(remedy))"
        case let .outputChanged(file, path, expected, found, remedy):
            return "\(file): output \(path) was modified: sha256 \(found), expected \(expected)\(with(remedy))"
        }
    }
}
