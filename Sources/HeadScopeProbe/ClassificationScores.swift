/// How well one probe separates a function's held-out rows from the others'.
///
/// A row is predicted positive when its decision value is > 0 (scikit-learn's `predict`).
public struct ClassificationScores: Sendable, Equatable {
    /// Accuracy on the held-out positives only: the papers' score (it is the recall, or
    /// true-positive rate).
    public var recall: Double
    /// Mean of the true-positive and true-negative rates; 0.5 at chance whatever the balance.
    public var balancedAccuracy: Double
    /// Fraction of all held-out rows (positives and negatives) classified correctly.
    public var accuracy: Double
    /// Area under the ROC curve (probability that a positive outscores a negative, ties half).
    public var auc: Double

    public init(recall: Double, balancedAccuracy: Double, accuracy: Double, auc: Double) {
        self.recall = recall
        self.balancedAccuracy = balancedAccuracy
        self.accuracy = accuracy
        self.auc = auc
    }

    /// Scores of `decisions` against `labels` (1 positive, 0 negative). Scores that need a class
    /// which is absent are NaN.
    public init(decisions: [Float], labels: [Float]) {
        precondition(decisions.count == labels.count)
        var positives = 0, negatives = 0, truePositives = 0, trueNegatives = 0
        for (d, y) in zip(decisions, labels) {
            if y > 0.5 {
                positives += 1
                if d > 0 { truePositives += 1 }
            } else {
                negatives += 1
                if d <= 0 { trueNegatives += 1 }
            }
        }
        let tpr = positives > 0 ? Double(truePositives) / Double(positives) : .nan
        let tnr = negatives > 0 ? Double(trueNegatives) / Double(negatives) : .nan
        recall = tpr
        balancedAccuracy = (tpr + tnr) / 2
        accuracy = decisions.isEmpty ? .nan : Double(truePositives + trueNegatives) / Double(decisions.count)
        auc = ClassificationScores.rocAUC(decisions: decisions, labels: labels)
    }

    /// ROC AUC by the Mann–Whitney statistic with tied decision values given average ranks
    /// (what `sklearn.metrics.roc_auc_score` computes).
    public static func rocAUC(decisions: [Float], labels: [Float]) -> Double {
        let order = decisions.indices.sorted { decisions[$0] < decisions[$1] }
        var positives = 0.0, negatives = 0.0, rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && decisions[order[j + 1]] == decisions[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] > 0.5 { rankSum += averageRank }
            i = j + 1
        }
        for y in labels { if y > 0.5 { positives += 1 } else { negatives += 1 } }
        guard positives > 0 && negatives > 0 else { return .nan }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }
}

/// Which score ranks heads into functional-head sets.
public enum ScoreKind: String, Sendable, CaseIterable, Codable {
    /// The papers' score: accuracy on held-out positives.
    case recall
    case balancedAccuracy = "balanced_accuracy"
    case accuracy
    case auc

    /// The score of this kind in `scores`.
    public func value(in scores: ClassificationScores) -> Double {
        switch self {
        case .recall: scores.recall
        case .balancedAccuracy: scores.balancedAccuracy
        case .accuracy: scores.accuracy
        case .auc: scores.auc
        }
    }
}
