import Foundation

/// The record every stage writes as `manifest.json` in its output directory.
///
/// It names the stage and tool version, when it ran, every input with its content hash (so a
/// later stage, or `make`, can tell if an input changed), the full configuration, counts of what
/// was done, and the outputs. Downstream stages load it and call the `require…`/`verify…`
/// helpers to refuse inputs they cannot use, with a message that says what to re-run.
///
/// JSON keys are snake_case; timestamps are ISO 8601 UTC with milliseconds
/// (`2026-11-22T01:38:00.123Z`). Encoding is deterministic (sorted keys).
public struct Manifest: Sendable {
    /// The manifest schema this build writes. Bump it when a field changes meaning.
    public static let currentSchemaVersion = 1
    /// The manifest's file name inside a stage's output directory.
    public static let fileName = "manifest.json"

    public var schemaVersion: Int
    /// The stage that wrote this manifest: `prepare`, `extract`, `probe`, `intervene`,
    /// `attribute` or `report`.
    public var stage: String
    public var toolVersion: String
    public var startedAt: Date
    /// When the stage finished; nil while it runs (a manifest without it is incomplete).
    public var finishedAt: Date?
    public var inputs: [Input]
    /// The stage's full effective configuration, defaults included.
    public var configuration: JSONValue
    /// Counts of what was done (`items`, `skipped`, `shards`, …).
    public var counts: [String: Int]
    public var outputs: [Output]
    /// Free-form remarks worth keeping with the results (warnings, overrides).
    public var notes: [String]

    /// Where this manifest was loaded from (not encoded); used in validation messages.
    public var location: URL?

    /// A new manifest for a stage starting now (timestamps are rounded to the millisecond, the
    /// precision they are written with).
    public init(stage: String, configuration: JSONValue = .object([:]), startedAt: Date = Date(),
                toolVersion: String = ToolVersion.string) {
        self.schemaVersion = Manifest.currentSchemaVersion
        self.stage = stage
        self.toolVersion = toolVersion
        self.startedAt = Manifest.roundedToMilliseconds(startedAt)
        self.finishedAt = nil
        self.inputs = []
        self.configuration = configuration
        self.counts = [:]
        self.outputs = []
        self.notes = []
        self.location = nil
    }

    /// Marks the stage finished.
    public mutating func finish(at date: Date = Date()) {
        finishedAt = Manifest.roundedToMilliseconds(date)
    }

    // MARK: Inputs and outputs

    /// One input of a stage: a file, a plain directory, or another stage's output directory.
    public struct Input: Codable, Sendable, Equatable {
        /// What the input is for (`model`, `prepared`, `images`, …).
        public var role: String
        /// The path as recorded (absolute, or relative to the directory verification resolves
        /// against: the pipeline's project root).
        public var path: String
        /// SHA-256 of the file, or `ContentHash.directory` of the directory.
        public var sha256: String
        /// Size in bytes (sum of file sizes for a directory).
        public var bytes: Int
        /// For another stage's output directory: SHA-256 of its `manifest.json`.
        public var manifestSHA256: String?
        /// For another stage's output directory: the stage named in its manifest.
        public var stage: String?

        public init(role: String, path: String, sha256: String, bytes: Int,
                    manifestSHA256: String? = nil, stage: String? = nil) {
            self.role = role
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
            self.manifestSHA256 = manifestSHA256
            self.stage = stage
        }

        enum CodingKeys: String, CodingKey {
            case role, path, sha256, bytes, stage
            case manifestSHA256 = "manifest_sha256"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            try container.encode(path, forKey: .path)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(manifestSHA256, forKey: .manifestSHA256)
            try container.encode(stage, forKey: .stage)
        }

        /// Hashes a file (or, if `url` is a directory, the directory tree) as an input.
        /// `recordedPath` is what the manifest shows; it defaults to `url.path`.
        public static func hashing(role: String, url: URL, recordedPath: String? = nil) throws -> Input {
            let path = recordedPath ?? url.path
            if isDirectory(url) {
                let digest = try ContentHash.directoryDigest(at: url)
                return Input(role: role, path: path, sha256: digest.sha256, bytes: digest.bytes)
            }
            let digest = try ContentHash.fileDigest(at: url)
            return Input(role: role, path: path, sha256: digest.sha256, bytes: digest.bytes)
        }

        /// Records another stage's output directory: its tree hash, its manifest's hash and the
        /// stage named there. Refuses a directory without a finished manifest.
        public static func stageOutput(role: String, url: URL, recordedPath: String? = nil,
                                       expectingStage: String? = nil) throws -> Input {
            let manifest = try Manifest.load(stageDirectory: url, expectingStage: expectingStage)
            let manifestURL = url.appendingPathComponent(Manifest.fileName)
            let manifestHash = try ContentHash.file(at: manifestURL)
            let digest = try ContentHash.directoryDigest(at: url)
            return Input(role: role, path: recordedPath ?? url.path, sha256: digest.sha256,
                         bytes: digest.bytes, manifestSHA256: manifestHash, stage: manifest.stage)
        }
    }

    /// One output of a stage, relative to its output directory.
    public struct Output: Codable, Sendable, Equatable {
        public var path: String
        /// SHA-256 of the output, when the stage hashed it.
        public var sha256: String?
        public var bytes: Int?

        public init(path: String, sha256: String? = nil, bytes: Int? = nil) {
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(path, forKey: .path)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(bytes, forKey: .bytes)
        }

        /// Hashes the file at `directory/path` and records it.
        public static func hashing(_ path: String, in directory: URL) throws -> Output {
            let digest = try ContentHash.fileDigest(at: directory.appendingPathComponent(path))
            return Output(path: path, sha256: digest.sha256, bytes: digest.bytes)
        }
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    // MARK: Timestamps

    /// The date on a whole millisecond (the precision it is written with), so that a manifest
    /// equals itself after a save and load.
    static func roundedToMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// ISO 8601 UTC text with milliseconds, e.g. `2023-11-14T22:13:20.123Z`.
    ///
    /// The milliseconds are computed here from an integer count rather than left to the
    /// formatter, which truncates the binary fraction (`.123` stored as `.12299…` prints `.122`).
    public static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let fraction = Int(ms - seconds * 1000)
        let whole = Date(timeIntervalSince1970: Double(seconds))
            .formatted(Date.ISO8601FormatStyle(timeZone: .gmt))   // 2023-11-14T22:13:20Z
        let digits = String(fraction + 1000).dropFirst()
        return "\(whole.dropLast()).\(digits)Z"
    }

    /// Parses ISO 8601 text with or without fractional seconds, to the millisecond.
    static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text) {
            return Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
        }
        return try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text)
    }
}

extension Manifest: Equatable {
    /// Manifests are equal when their recorded content is; `location` is not part of it.
    public static func == (lhs: Manifest, rhs: Manifest) -> Bool {
        lhs.schemaVersion == rhs.schemaVersion && lhs.stage == rhs.stage
            && lhs.toolVersion == rhs.toolVersion && lhs.startedAt == rhs.startedAt
            && lhs.finishedAt == rhs.finishedAt && lhs.inputs == rhs.inputs
            && lhs.configuration == rhs.configuration && lhs.counts == rhs.counts
            && lhs.outputs == rhs.outputs && lhs.notes == rhs.notes
    }
}

extension Manifest: Codable {
    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case stage
        case toolVersion = "tool_version"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case inputs, configuration, counts, outputs, notes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        stage = try container.decode(String.self, forKey: .stage)
        toolVersion = try container.decode(String.self, forKey: .toolVersion)
        startedAt = try Manifest.decodeTimestamp(container, .startedAt)
        finishedAt = try container.decodeNil(forKey: .finishedAt) ? nil
            : try Manifest.decodeTimestamp(container, .finishedAt)
        inputs = try container.decodeIfPresent([Input].self, forKey: .inputs) ?? []
        configuration = try container.decodeIfPresent(JSONValue.self, forKey: .configuration) ?? .object([:])
        counts = try container.decodeIfPresent([String: Int].self, forKey: .counts) ?? [:]
        outputs = try container.decodeIfPresent([Output].self, forKey: .outputs) ?? []
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
        location = nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(stage, forKey: .stage)
        try container.encode(toolVersion, forKey: .toolVersion)
        try container.encode(Manifest.timestamp(startedAt), forKey: .startedAt)
        try container.encode(finishedAt.map(Manifest.timestamp), forKey: .finishedAt)
        try container.encode(inputs, forKey: .inputs)
        try container.encode(configuration, forKey: .configuration)
        try container.encode(counts, forKey: .counts)
        try container.encode(outputs, forKey: .outputs)
        try container.encode(notes, forKey: .notes)
    }

    private static func decodeTimestamp(_ container: KeyedDecodingContainer<CodingKeys>,
                                        _ key: CodingKeys) throws -> Date {
        let text = try container.decode(String.self, forKey: key)
        guard let date = parseTimestamp(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                debugDescription: "\"\(text)\" is not an ISO 8601 timestamp")
        }
        return date
    }
}
