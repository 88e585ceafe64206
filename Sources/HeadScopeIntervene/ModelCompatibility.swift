import HeadScopeActivations
import HeadScopeRuntime

/// Checks that the probes and the activation store were made with the model being intervened on.
///
/// Head indices only mean something for the model whose activations trained the probes: the
/// geometry must match exactly, and the weights' content hash when both sides record one (names
/// may differ, e.g. a folder given by another path). Without hashes the model ids are compared.
enum ModelCompatibility {
    static func check(probes: ProbeResults, runtime: any VLMRuntime) throws {
        let g = runtime.geometry, id = runtime.identity
        let remedy = "use the model the probes were trained for, or run `make extract probe` with this model first"
        if probes.layers != g.layers || probes.heads != g.heads || probes.headDim != g.headDim {
            throw InterventionError(probes.directory.path,
                                    "the probes are for a decoder of \(probes.layers) layers x \(probes.heads) heads x head_dim \(probes.headDim), "
                                    + "but model `\(id.id)` has \(g.layers) x \(g.heads) x \(g.headDim)", remedy: remedy)
        }
        if let mismatch = mismatch(recordedID: probes.modelID, recordedSHA: probes.modelSHA256, runtime: runtime) {
            throw InterventionError(probes.directory.path, "the probes were trained on activations of another model (\(mismatch))",
                                    remedy: remedy)
        }
    }

    static func check(store: StoreAttributes, path: String, runtime: any VLMRuntime) throws {
        let g = runtime.geometry, id = runtime.identity
        let remedy = "pass the activations of this model (`make extract` with it)"
        if store.layers != g.layers || store.heads != g.heads || store.headDim != g.headDim {
            throw InterventionError(path, "the activation store holds a decoder of \(store.layers) x \(store.heads) x \(store.headDim), "
                                    + "but model `\(id.id)` has \(g.layers) x \(g.heads) x \(g.headDim)", remedy: remedy)
        }
        if let mismatch = mismatch(recordedID: store.modelID, recordedSHA: store.modelSHA256, runtime: runtime) {
            throw InterventionError(path, "the activations come from another model (\(mismatch))", remedy: remedy)
        }
    }

    /// A description of the difference, or nil when the recorded model is this one.
    static func mismatch(recordedID: String?, recordedSHA: String?, runtime: any VLMRuntime) -> String? {
        let id = runtime.identity
        if let sha = recordedSHA, !sha.isEmpty, !id.sha256.isEmpty {
            return sha == id.sha256 ? nil
                : "recorded `\(recordedID ?? "?")` with weights sha256 \(sha.prefix(12))…, this is `\(id.id)` with \(id.sha256.prefix(12))…"
        }
        if let recordedID, recordedID != id.id {
            return "recorded `\(recordedID)`, this is `\(id.id)`"
        }
        return nil
    }
}
