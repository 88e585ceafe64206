import Foundation
import HeadScopeCore

/// Loads the model a stage names: `builtin` (the built-in model of this checkout,
/// data/builtin-model) or a Hugging Face LLaVA or Qwen2-VL / Qwen2.5-VL checkpoint folder.
public enum RuntimeLoader {
    /// - Parameters:
    ///   - model: `builtin` or a folder path.
    ///   - root: the repository root for `builtin`; default: the first directory upwards from the
    ///     working directory that holds data/builtin-model/model.json.
    public static func load(model: String, root: URL? = nil) throws -> any VLMRuntime {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if model == "builtin" {
            return try BuiltinModel.load(repositoryRoot: try root ?? repositoryRoot(from: cwd))
        }
        let folder = URL(fileURLWithPath: model, relativeTo: cwd).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuntimeError("no model folder here", location: folder.path,
                               hint: "pass `builtin` or a Hugging Face LLaVA or Qwen2-VL / Qwen2.5-VL checkpoint folder (config.json, *.safetensors, tokenizer.json, preprocessor_config.json)")
        }
        return try EngineRuntime.load(folder: folder, hashes: FileHashCache.under(root ?? cwd))
    }

    /// The first directory upwards from `start` holding data/builtin-model/model.json.
    public static func repositoryRoot(from start: URL) throws -> URL {
        var directory = start.standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: BuiltinModel.descriptionURL(repositoryRoot: directory).path) { return directory }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        throw RuntimeError("cannot find data/builtin-model/model.json above \(start.path)",
                           hint: "run inside the HeadScope checkout or pass the repository root")
    }
}
