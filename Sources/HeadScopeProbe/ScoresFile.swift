import Foundation
import HeadScopeCore
import HeadScopeHDF5

/// Writes `probes/scores.h5` (schema `headscope-probes/1`, documented in docs/probes.md).
///
/// One group per function under `probes/<slug>` (attribute `function` holds the exact label),
/// with `[L, H]` score arrays, the probe weights `[L, H, F]` and biases `[L, H]`, and the store
/// rows each probe trained and was tested on, so anyone can refit a probe from the store.
public enum ScoresFile {
    public static let schemaVersion = "headscope-probes/1"

    public static func write(to path: String, results: ProbeResults, design: ProbeDesign,
                             options: ProbeOptions, slugs: [String], provenance: [String: String]) throws {
        let url = URL(fileURLWithPath: path)
        try AtomicFile.write(try HDF5File.buildImage(name: path) { file in
            let g = results.geometry
            let root = file.root
            try root.attributes.write("schema_version", schemaVersion)
            try root.attributes.write("tool_version", ToolVersion.string)
            try root.attributes.write("num_layers", Int64(g.layers))
            try root.attributes.write("num_heads", Int64(g.heads))
            try root.attributes.write("head_dim", Int64(g.headDim))
            try root.attributes.write("feature_dim", Int64(results.featureCount))
            try root.attributes.write("features", options.features.rawValue)
            try root.attributes.write("rank_by", options.rankBy.rawValue)
            try root.attributes.write("seed", Int64(bitPattern: options.seed))
            try root.attributes.write("c", options.logistic.c)
            try root.attributes.write("split_source", design.splitSource)
            for key in ["model_id", "model_sha256", "position_policy", "context_policy", "judge"] {
                if let value = provenance[key] { try root.attributes.write("activations_\(key)", value) }
            }
            try root.createDataset("functions", strings: results.functions.map(\.function))
            let shape = [g.layers, g.heads]
            for (index, r) in results.functions.enumerated() {
                let group = try root.createGroup("probes/\(slugs[index])")
                try group.attributes.write("function", r.function)
                let rows = design.functions[index]
                let scores: [(String, [Double])] = [
                    ("recall", r.recall), ("balanced_accuracy", r.balancedAccuracy), ("accuracy", r.accuracy),
                    ("auc", r.auc),
                ]
                for (name, values) in scores { try group.createDataset(name, values: values, shape: shape) }
                if options.permutations > 0 {
                    try group.createDataset("permutation_recall", values: r.permutationRecall, shape: shape)
                    try group.createDataset("permutation_balanced_accuracy", values: r.permutationBalancedAccuracy, shape: shape)
                    try group.createDataset("permutation_auc", values: r.permutationAUC, shape: shape)
                    try group.createDataset("permutation_p_value", values: r.permutationPValue, shape: shape)
                }
                if options.crossValidationFolds > 1 {
                    let cv: [(String, [Double])] = [
                        ("cv_recall_mean", r.cvRecallMean), ("cv_recall_std", r.cvRecallStd),
                        ("cv_balanced_accuracy_mean", r.cvBalancedAccuracyMean),
                        ("cv_balanced_accuracy_std", r.cvBalancedAccuracyStd),
                        ("cv_auc_mean", r.cvAUCMean), ("cv_auc_std", r.cvAUCStd),
                    ]
                    for (name, values) in cv { try group.createDataset(name, values: values, shape: shape) }
                }
                try group.createDataset("weights", values: r.weights, shape: [g.layers, g.heads, results.featureCount],
                                        options: .chunked([1, g.heads, results.featureCount]))
                try group.createDataset("bias", values: r.bias, shape: shape)
                try group.createDataset("iterations", values: r.iterations, shape: shape)
                try group.createDataset("converged", values: r.converged, shape: shape)
                try group.createDataset("train_rows", values: rows.trainRows.map(Int64.init), shape: [rows.trainRows.count])
                try group.createDataset("train_labels", values: rows.trainLabels.map { Int8($0) }, shape: [rows.trainLabels.count])
                try group.createDataset("test_rows", values: rows.testRows.map(Int64.init), shape: [rows.testRows.count])
                try group.createDataset("test_labels", values: rows.testLabels.map { Int8($0) }, shape: [rows.testLabels.count])
            }
        }, to: url)
    }

    /// File-name-safe, distinct names for functions: lowercase letters and digits, `-` between.
    public static func slugs(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.map { name in
            var slug = ""
            for scalar in name.lowercased().unicodeScalars {
                if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                    slug.unicodeScalars.append(scalar)
                } else if !slug.hasSuffix("-") && !slug.isEmpty {
                    slug += "-"
                }
            }
            while slug.hasSuffix("-") { slug.removeLast() }
            if slug.isEmpty { slug = "function" }
            var candidate = slug
            var n = 2
            while used.contains(candidate) { candidate = "\(slug)-\(n)"; n += 1 }
            used.insert(candidate)
            return candidate
        }
    }
}
