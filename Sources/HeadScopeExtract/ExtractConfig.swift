import Foundation
import HeadScopeActivations
import HeadScopeCore
import HeadScopeQA

/// What `headscope-extract` runs: from the `extract:` section of a pipeline config, overridden by
/// command-line options.
public struct ExtractConfig: Sendable {
    public var prepared: URL
    public var output: URL
    /// A model folder, a GGUF file, or `builtin`.
    public var model: String
    public var settings: ExtractRunner.Settings
    public var maxNewTokens: Int

    public init(prepared: URL, output: URL, model: String, settings: ExtractRunner.Settings, maxNewTokens: Int = 128) {
        self.prepared = prepared
        self.output = output
        self.model = model
        self.settings = settings
        self.maxNewTokens = maxNewTokens
    }

    public static let keys = ["prepared", "output", "model", "context", "positions", "items_per_shard", "dtype",
                              "limit", "max_new_tokens", "workers", "batch"]

    /// Reads the `extract:` section. Paths default to `runs/<pipeline>/prepared` and
    /// `runs/<pipeline>/activations`, `<pipeline>` being the config's file name.
    public static func load(_ file: ConfigFile) throws -> ExtractConfig {
        let section = try file.root.optionalMapping("extract")
        try section?.rejectUnknownKeys(allowed: keys)
        let run = file.baseDirectory.appendingPathComponent("runs/\(file.url.deletingPathExtension().lastPathComponent)")
        var settings = ExtractRunner.Settings()
        settings.contextPolicy = try section?.enumValue("context", default: ContextPolicy.none) ?? .none
        settings.positions = try section?.enumValue("positions", default: PositionPolicy.mean) ?? .mean
        settings.itemsPerShard = try section?.int("items_per_shard", default: 16, in: 1...1_000_000) ?? 16
        settings.half = try section?.enumValue("dtype", default: StoredType.float32) == .float16
        settings.limit = try section?.optionalInt("limit", in: 1...Int.max)
        settings.workers = try section?.int("workers", default: ExtractRunner.Settings.defaultWorkers, in: 1...1024)
            ?? ExtractRunner.Settings.defaultWorkers
        settings.batch = try section?.int("batch", default: 8, in: 1...1024) ?? 8
        return ExtractConfig(
            prepared: try section?.optionalPath("prepared") ?? run.appendingPathComponent("prepared"),
            output: try section?.optionalPath("output") ?? run.appendingPathComponent("activations"),
            model: try section?.string("model", default: "builtin") ?? "builtin",
            settings: settings,
            maxNewTokens: try section?.int("max_new_tokens", default: 128, in: 1...4096) ?? 128)
    }

    /// The element type of `z` on disk.
    public enum StoredType: String, CaseIterable, Sendable {
        case float32, float16
    }

    /// The configuration as recorded in the manifest.
    public var json: JSONValue {
        .object([
            "prepared": .string(prepared.path), "output": .string(output.path), "model": .string(model),
            "context": .string(settings.contextPolicy.rawValue), "positions": .string(settings.positions.rawValue),
            "items_per_shard": .int(settings.itemsPerShard), "dtype": .string(settings.half ? "float16" : "float32"),
            "limit": settings.limit.map { .int($0) } ?? .null, "max_new_tokens": .int(maxNewTokens),
            "workers": .int(settings.workers), "batch": .int(settings.batch),
            "prompt_template": .string(SubquestionPrompt.templateID),
        ])
    }
}
