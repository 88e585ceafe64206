/// A curve averaged over images.
public struct MeanCurve: Codable, Sendable, Equatable {
    public var ranking: String
    /// `faithfulness` or `completeness`.
    public var kind: String
    public var sizes: [Int]
    /// Mean normalised score: faithfulness `(f(S) - f(none)) / (f(all) - f(none))`, completeness
    /// `(f(all) - f(all \ S)) / (f(all) - f(none))`, over images where `f(all) != f(none)`.
    public var normalised: [Double]
    /// Share of images whose answer is still the top token (faithfulness) or no longer is
    /// (completeness).
    public var answerRate: [Double]

    enum CodingKeys: String, CodingKey {
        case ranking, kind, sizes, normalised, answerRate = "answer_rate"
    }
}

/// Mean logit drop of one knockout edge per layer window, over images.
public struct MeanFlow: Codable, Sendable, Equatable {
    public var edge: KnockoutEdge
    public var layerStarts: [Int]
    public var meanLogitDrop: [Double]

    enum CodingKeys: String, CodingKey { case edge, layerStarts = "layer_starts", meanLogitDrop = "mean_logit_drop" }
}

/// Whether images of one class share top heads more than images of one colour.
public struct GroupingOverlap: Codable, Sendable, Equatable {
    /// Mean Jaccard of top sets over image pairs with the same class and different colours.
    public var sameClass: Double?
    /// Mean Jaccard over pairs with the same colour and different classes.
    public var sameColor: Double?
    /// Mean Jaccard over pairs that share neither.
    public var neither: Double?
    public var sameClassPairs: Int
    public var sameColorPairs: Int
    public var neitherPairs: Int

    enum CodingKeys: String, CodingKey {
        case sameClass = "same_class", sameColor = "same_color", neither
        case sameClassPairs = "same_class_pairs", sameColorPairs = "same_color_pairs", neitherPairs = "neither_pairs"
    }
}

/// Summaries over images.
public enum Aggregation {
    /// Mean attribution per head (grid order).
    public static func meanAttribution(_ results: [ImageResult]) -> [Double] {
        guard let k = results.first?.attribution.fit.coefficients.count else { return [] }
        var s = [Double](repeating: 0, count: k)
        for r in results where r.attribution.fit.coefficients.count == k {
            for j in 0..<k { s[j] += r.attribution.fit.coefficients[j] }
        }
        return s.map { $0 / Double(results.count) }
    }

    /// Mean attribution per head over the images whose tag `key` equals each value.
    public static func meanAttribution(_ results: [ImageResult], byTag key: String) -> [String: [Double]] {
        Dictionary(grouping: results) { $0.tags[key] ?? "" }.filter { !$0.key.isEmpty }.mapValues(meanAttribution)
    }

    public static func curves(_ results: [ImageResult], outcome: OutcomeKind) -> [MeanCurve] {
        guard let first = results.first else { return [] }
        var out: [MeanCurve] = []
        for (ci, c) in first.curves.enumerated() {
            for kind in ["faithfulness", "completeness"] {
                let sizes = (kind == "faithfulness" ? c.faithfulness : c.completeness).map(\.n)
                var norm = [Double](repeating: 0, count: sizes.count), normCount = [Int](repeating: 0, count: sizes.count)
                var rate = [Double](repeating: 0, count: sizes.count)
                var used = 0
                for r in results where r.curves.count > ci && r.curves[ci].ranking == c.ranking {
                    let points = kind == "faithfulness" ? r.curves[ci].faithfulness : r.curves[ci].completeness
                    guard points.map(\.n) == sizes else { continue }
                    used += 1
                    let all = Double(r.full.value(outcome)), none = Double(r.empty.value(outcome))
                    for (i, p) in points.enumerated() {
                        let v = Double(p.outcome.value(outcome))
                        if abs(all - none) > 1e-9 {
                            norm[i] += kind == "faithfulness" ? (v - none) / (all - none) : (all - v) / (all - none)
                            normCount[i] += 1
                        }
                        rate[i] += (kind == "faithfulness") == p.outcome.isTop ? 1 : 0
                    }
                }
                out.append(MeanCurve(ranking: c.ranking, kind: kind, sizes: sizes,
                                     normalised: zip(norm, normCount).map { $1 > 0 ? $0 / Double($1) : .nan },
                                     answerRate: rate.map { used > 0 ? $0 / Double(used) : .nan }))
            }
        }
        return out
    }

    public static func flows(_ results: [ImageResult], edges: [KnockoutEdge]) -> [MeanFlow] {
        edges.compactMap { edge in
            var sums: [Int: (Double, Int)] = [:]
            for r in results {
                for k in r.knockout where k.edge == edge {
                    let e = sums[k.layerStart] ?? (0, 0)
                    sums[k.layerStart] = (e.0 + Double(k.logitDrop), e.1 + 1)
                }
            }
            guard !sums.isEmpty else { return nil }
            let starts = sums.keys.sorted()
            return MeanFlow(edge: edge, layerStarts: starts, meanLogitDrop: starts.map { sums[$0].map { $0.0 / Double($0.1) } ?? 0 })
        }
    }

    /// Jaccard overlap of top sets, by class versus by colour (tags `class` and `color`).
    public static func grouping(_ results: [ImageResult], classKey: String = "class", colorKey: String = "color") -> GroupingOverlap {
        var cls: [Double] = [], col: [Double] = [], neither: [Double] = []
        for i in results.indices {
            for j in results.indices where j > i {
                let a = results[i], b = results[j]
                guard let ca = a.tags[classKey], let cb = b.tags[classKey], let oa = a.tags[colorKey], let ob = b.tags[colorKey] else { continue }
                let jac = Statistics.jaccard(Set(a.topHeads), Set(b.topHeads))
                if ca == cb && oa != ob { cls.append(jac) }
                else if oa == ob && ca != cb { col.append(jac) }
                else if ca != cb && oa != ob { neither.append(jac) }
            }
        }
        func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
        return GroupingOverlap(sameClass: mean(cls), sameColor: mean(col), neither: mean(neither),
                               sameClassPairs: cls.count, sameColorPairs: col.count, neitherPairs: neither.count)
    }
}
