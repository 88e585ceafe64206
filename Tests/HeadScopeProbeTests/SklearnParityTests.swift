import Foundation
import Testing
import TestSupport
@testable import HeadScopeProbe

/// The Newton solver against scikit-learn's LogisticRegression(C=1, max_iter=1000) on the probes
/// of `scripts/fixtures/probe.py` (see the script for why coefficients are checked against the
/// exact optimum and scores against the default fit).
@Suite struct SklearnParityTests {
    struct Probe {
        var trainX: [Float], trainY: [Float], testX: [Float], testY: [Float]
        var features: Int
        var coefficients: [Float], intercept: Float
        var tightCoefficients: [Float], tightIntercept: Float
        var decisions: [Float], scores: [Float], tightScores: [Float], defaultGap: Float
    }

    static func probes() throws -> [Probe] {
        let golden = try GoldenTensors("probe/sklearn_probes.safetensors")
        guard let count = golden.metadata["probes"].flatMap(Int.init), count > 0 else {
            throw TestSupportError("fixture metadata has no probe count")
        }
        return try (0..<count).map { k in
            func tensor(_ name: String) throws -> GoldenTensors.Tensor {
                guard let t = golden["probe\(k).\(name)"] else { throw TestSupportError("missing probe\(k).\(name)") }
                return t
            }
            let trainX = try tensor("train_x")
            return Probe(trainX: trainX.values, trainY: try tensor("train_y").values,
                         testX: try tensor("test_x").values, testY: try tensor("test_y").values,
                         features: trainX.shape[1],
                         coefficients: try tensor("coef").values, intercept: try tensor("intercept").values[0],
                         tightCoefficients: try tensor("coef_tight").values,
                         tightIntercept: try tensor("intercept_tight").values[0],
                         decisions: try tensor("decision").values, scores: try tensor("scores").values,
                         tightScores: try tensor("scores_tight").values,
                         defaultGap: try tensor("default_gap").values[0])
        }
    }

    /// Appends the intercept column of ones.
    static func design(_ x: [Float], features p: Int) -> [Float] {
        let n = x.count / p
        var out = [Float](repeating: 1, count: n * (p + 1))
        for i in 0..<n { for j in 0..<p { out[i * (p + 1) + j] = x[i * p + j] } }
        return out
    }

    static func fit(_ probe: Probe) -> LogisticFit {
        let n = probe.trainY.count
        let solver = LogisticRegressionSolver(rowCapacity: n, features: probe.features)
        let x = design(probe.trainX, features: probe.features)
        return x.withUnsafeBufferPointer { xs in
            probe.trainY.withUnsafeBufferPointer { ys in
                solver.fit(design: xs.baseAddress!, labels: ys.baseAddress!, rows: n)
            }
        }
    }

    @Test func coefficientsMatchTheOptimumAndTheDefaultFit() throws {
        for (k, probe) in try Self.probes().enumerated() {
            let fit = Self.fit(probe)
            #expect(fit.converged, "probe \(k) did not converge")
            #expect(fit.iterations < 30, "probe \(k): \(fit.iterations) Newton iterations")
            let tight = mismatch(fit.coefficients + [fit.intercept], probe.tightCoefficients + [probe.tightIntercept],
                                 relative: 0, absolute: 1e-4, label: "probe \(k) vs exact optimum")
            #expect(tight == nil, "\(tight ?? "")")
            let loose = mismatch(fit.coefficients + [fit.intercept], probe.coefficients + [probe.intercept],
                                 relative: 0, absolute: probe.defaultGap + 1e-4, label: "probe \(k) vs lbfgs default")
            #expect(loose == nil, "\(loose ?? "")")
        }
    }

    @Test func heldOutScoresMatchScikitLearn() throws {
        for (k, probe) in try Self.probes().enumerated() {
            let fit = Self.fit(probe)
            let p = probe.features
            let decisions = (0..<probe.testY.count).map { i in
                probe.testX.withUnsafeBufferPointer { fit.decision($0.baseAddress! + i * p) }
            }
            let decisionGap = mismatch(decisions, probe.decisions, relative: 0,
                                       absolute: 10 * (probe.defaultGap + 1e-4) * Float(p),
                                       label: "probe \(k) decisions")
            #expect(decisionGap == nil, "\(decisionGap ?? "")")
            let scores = ClassificationScores(decisions: decisions, labels: probe.testY)
            let ours = [scores.recall, scores.balancedAccuracy, scores.accuracy, scores.auc].map(Float.init)
            let accuracies = mismatch(Array(ours.prefix(3)), Array(probe.scores.prefix(3)), relative: 0,
                                      absolute: 1e-3, label: "probe \(k) accuracies vs lbfgs default")
            #expect(accuracies == nil, "\(accuracies ?? "")")
            let exact = mismatch(ours, probe.tightScores, relative: 0, absolute: 1e-6,
                                 label: "probe \(k) scores vs exact optimum")
            #expect(exact == nil, "\(exact ?? "")")
            #expect(abs(ours[3] - probe.scores[3]) <= 1e-2, "probe \(k) AUC \(ours[3]) vs lbfgs default \(probe.scores[3])")
        }
    }

    @Test func aucHandlesTiesLikeScikitLearn() {
        // Ties between a positive and a negative count one half: 3 positives, 2 negatives;
        // pairs: (0.9 vs 0.1, 0.5) win, (0.5 vs 0.5) half, (0.5 vs 0.1) win, (0.1 vs 0.1) half,
        // (0.1 vs 0.5) loss → (2 + 1.5 + 0.5) / 6.
        let auc = ClassificationScores.rocAUC(decisions: [0.9, 0.5, 0.1, 0.5, 0.1], labels: [1, 1, 1, 0, 0])
        #expect(abs(auc - 4.0 / 6.0) < 1e-12)
    }
}
