import HeadScopeCore
import HeadScopeRuntime

/// Loads a model for the stage from `--model` (a folder, a GGUF file or `builtin`).
///
/// The engine's factory (`RuntimeLoader.load(model:)` in HeadScopeRuntime) is not on main yet;
/// everything here goes through this protocol so wiring it is one line in `StageModelLoader.load`.
protocol AttributionModelLoading {
    func load(model: String) throws -> any VLMRuntime
}

/// The loader the command uses.
struct StageModelLoader: AttributionModelLoading {
    func load(model: String) throws -> any VLMRuntime {
        // Wiring: replace the throw with `try RuntimeLoader.load(model: model)`.
        throw StageError("cannot load model \"\(model)\": this build has no model loader (RuntimeLoader) linked in",
                         remedy: "build a version of HeadScope whose HeadScopeRuntime provides RuntimeLoader")
    }
}
