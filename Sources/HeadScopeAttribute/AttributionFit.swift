/// Which outcome of a run the attribution explains.
public enum OutcomeKind: String, Codable, Sendable, CaseIterable {
    /// The target answer token's logit at the last prompt position.
    case logit
    /// Target logit minus the best other token's logit.
    case margin
}

/// Fit settings: the method, its penalty, and the held-out split.
public struct FitSettings: Codable, Sendable, Equatable {
    public var method: RegressionMethod
    /// Ridge penalty (ridge only).
    public var ridgeLambda: Double
    /// Lasso path: number of penalties and the smallest as a fraction of the largest.
    public var lassoPathLength: Int
    public var lassoMinRatio: Double
    /// Share of the masks (the last ones drawn) held out to check the fit.
    public var heldOutFraction: Double

    enum CodingKeys: String, CodingKey {
        case method, ridgeLambda = "ridge_lambda", lassoPathLength = "lasso_path_length"
        case lassoMinRatio = "lasso_min_ratio", heldOutFraction = "held_out_fraction"
    }

    public init(method: RegressionMethod = .ridge, ridgeLambda: Double = 1, lassoPathLength: Int = 30,
                lassoMinRatio: Double = 1e-3, heldOutFraction: Double = 0.2) {
        self.method = method
        self.ridgeLambda = ridgeLambda
        self.lassoPathLength = lassoPathLength
        self.lassoMinRatio = lassoMinRatio
        self.heldOutFraction = heldOutFraction
    }
}

/// Head attributions for one image: the fitted coefficients (one per head, grid order) and how
/// well they predict masks the fit did not see.
public struct HeadAttribution: Codable, Sendable, Equatable {
    public var fit: LinearFit
    /// Pearson correlation of predicted and actual outcomes on the held-out masks.
    public var heldOutCorrelation: Double
    public var trainCount: Int
    public var heldOutCount: Int

    enum CodingKeys: String, CodingKey {
        case fit, heldOutCorrelation = "held_out_correlation", trainCount = "train_count", heldOutCount = "held_out_count"
    }

    /// Heads sorted by attribution, largest first (ties by head index, so the order is stable).
    public func ranking(grid: HeadGrid) -> [HeadID] {
        HeadRanking.order(scores: fit.coefficients, grid: grid)
    }
}

/// Fits `outcome ~ b0 + sum_h b_h keep_h` on the first masks and checks it on the rest.
public enum AttributionFitter {
    public static func fit(masks: [UInt8], heads: Int, outcomes: [Float], settings: FitSettings) throws -> HeadAttribution {
        let m = outcomes.count
        guard heads > 0, masks.count == m * heads else {
            throw RegressionError("\(masks.count) mask values for \(m) runs of \(heads) heads")
        }
        let held = Int((Double(m) * settings.heldOutFraction).rounded())
        let train = m - held
        guard train >= 2 else { throw RegressionError("only \(train) runs left to fit after holding out \(held); draw more masks") }
        let x = try DesignMatrix(rows: m, columns: heads, values: masks.map { Double($0) })
        let y = outcomes.map { Double($0) }
        let xTrain = x.rows(0..<train), yTrain = Array(y[0..<train])
        let fit: LinearFit
        switch settings.method {
        case .ols: fit = try LinearRegression.ols(xTrain, yTrain)
        case .ridge: fit = try LinearRegression.ridge(xTrain, yTrain, lambda: settings.ridgeLambda)
        case .lasso: fit = try lassoWithValidation(xTrain, yTrain, settings: settings)
        }
        var r = 0.0
        if held >= 2 {
            r = Statistics.pearson(fit.predict(x.rows(train..<m)), Array(y[train..<m]))
        }
        return HeadAttribution(fit: fit, heldOutCorrelation: r, trainCount: train, heldOutCount: held)
    }

    /// Chooses the Lasso penalty on a validation slice of the training masks (its last quarter),
    /// then refits all training masks at that penalty.
    static func lassoWithValidation(_ x: DesignMatrix, _ y: [Double], settings: FitSettings) throws -> LinearFit {
        let n = x.rows
        let validation = max(n / 4, 0)
        let lambdaMax = try LinearRegression.lassoLambdaMax(x, y)
        let lambdas = LinearRegression.logSpaced(maximum: lambdaMax, ratio: settings.lassoMinRatio,
                                                 count: max(settings.lassoPathLength, 1))
        var chosen = lambdas.last ?? 0
        if validation >= 2 && n - validation >= 2 {
            let path = try LinearRegression.lassoPath(x.rows(0..<(n - validation)), Array(y[0..<(n - validation)]), lambdas: lambdas)
            let xv = x.rows((n - validation)..<n), yv = Array(y[(n - validation)..<n])
            var best = Double.infinity
            for f in path {
                let e = Statistics.meanSquaredError(f.predict(xv), yv)
                if e < best { best = e; chosen = f.lambda }
            }
        }
        // Refit along the path down to the chosen penalty (warm starts keep it fast).
        let upTo = lambdas.filter { $0 >= chosen }
        return try LinearRegression.lassoPath(x, y, lambdas: upTo.isEmpty ? [chosen] : upTo).last
            ?? LinearRegression.lasso(x, y, lambda: chosen)
    }
}

/// Orders heads by a score.
public enum HeadRanking {
    /// Heads by descending score; ties (and NaN) broken by grid index.
    public static func order(scores: [Double], grid: HeadGrid) -> [HeadID] {
        let indices = (0..<min(scores.count, grid.count)).sorted { a, b in
            let sa = scores[a].isNaN ? -Double.infinity : scores[a]
            let sb = scores[b].isNaN ? -Double.infinity : scores[b]
            return sa != sb ? sa > sb : a < b
        }
        return indices.map(grid.head(at:))
    }
}
