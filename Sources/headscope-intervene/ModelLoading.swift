import HeadScopeRuntime

/// How the executable turns `--model` (a checkpoint folder or `builtin`) into a runtime.
///
/// The stage itself only sees `VLMRuntime`; this seam keeps the choice of loader in one place,
/// shared with the other stage executables through `RuntimeLoader`.
protocol InterveneRuntimeLoading {
    func load(model: String) throws -> any VLMRuntime
}

/// The loader the executable uses: HeadScopeRuntime's (`builtin` or a model folder).
struct StageRuntimeLoader: InterveneRuntimeLoading {
    func load(model: String) throws -> any VLMRuntime {
        try RuntimeLoader.load(model: model)
    }
}
