import HeadScopeCore
import HeadScopeRuntime

/// How the executable turns `--model` (a checkpoint folder or `builtin`) into a runtime.
///
/// The stage itself only sees `VLMRuntime`; this seam keeps the choice of loader in one place.
/// `HeadScopeRuntime` is to provide `RuntimeLoader.load(model: String) throws -> any VLMRuntime`;
/// until it does, `PendingRuntimeLoader` says so. Wiring it is one line in `load(model:)` below:
/// `try RuntimeLoader.load(model: model)`.
protocol InterveneRuntimeLoading {
    func load(model: String) throws -> any VLMRuntime
}

/// The loader the executable uses.
struct PendingRuntimeLoader: InterveneRuntimeLoading {
    func load(model: String) throws -> any VLMRuntime {
        throw StageError("cannot load model `\(model)`: this build has no model loader wired into headscope-intervene",
                         remedy: "build a version of HeadScope whose HeadScopeRuntime provides RuntimeLoader")
    }
}
