import Foundation
import HeadScopeCore
import Testing
import TestSupport
@testable import HeadScopeAttribute

@Suite struct RegressionTests {
    /// Random design (seeded) with a known linear truth plus noise.
    static func data(rows: Int, columns: Int, truth: [Double], intercept: Double, noise: Double, seed: UInt64) throws -> (DesignMatrix, [Double]) {
        var rng = SplitMix64(seed: seed)
        var x: [Double] = [], y: [Double] = []
        for _ in 0..<rows {
            var s = intercept
            for j in 0..<columns {
                let v = rng.nextGaussian()
                x.append(v)
                s += truth[j] * v
            }
            y.append(s + noise * rng.nextGaussian())
        }
        return (try DesignMatrix(rows: rows, columns: columns, values: x), y)
    }

    @Test func simpleRegressionMatchesClosedForm() throws {
        // One column: slope = Sxy / Sxx, ridge slope = Sxy / (Sxx + lambda), intercept = ybar - slope xbar.
        let xs: [Double] = [1, 2, 4, 7, 8], ys: [Double] = [3, 4.5, 9, 14, 17.5]
        let xbar = xs.reduce(0, +) / 5, ybar = ys.reduce(0, +) / 5
        let sxy = zip(xs, ys).map { ($0 - xbar) * ($1 - ybar) }.reduce(0, +)
        let sxx = xs.map { ($0 - xbar) * ($0 - xbar) }.reduce(0, +)
        let x = try DesignMatrix(rows: 5, columns: 1, values: xs)
        let ols = try LinearRegression.ols(x, ys)
        #expect(abs(ols.coefficients[0] - sxy / sxx) < 1e-12)
        #expect(abs(ols.intercept - (ybar - sxy / sxx * xbar)) < 1e-12)
        let ridge = try LinearRegression.ridge(x, ys, lambda: 10)
        #expect(abs(ridge.coefficients[0] - sxy / (sxx + 10)) < 1e-12)
        #expect(abs(ridge.intercept - (ybar - sxy / (sxx + 10) * xbar)) < 1e-12)
        // Lasso on one column: b = S(Sxy/n, lambda) / (Sxx/n).
        let lasso = try LinearRegression.lasso(x, ys, lambda: 0.7)
        #expect(abs(lasso.coefficients[0] - LinearRegression.softThreshold(sxy / 5, 0.7) / (sxx / 5)) < 1e-9)
    }

    @Test func olsAndRidgeMatchNumpy() throws {
        let (x, y) = try Self.data(rows: 40, columns: 5, truth: [1, -2, 0, 0.5, 3], intercept: 0.7, noise: 0.3, seed: 9)
        let ols = try LinearRegression.ols(x, y)
        let ridge = try LinearRegression.ridge(x, y, lambda: 4)
        let json = String(decoding: try JSONEncoder().encode(["x": x.values, "y": y]), as: UTF8.self)
        // Independent: numpy least squares with an intercept column, and ridge on centred data.
        let script = """
        import json, sys, numpy as np
        d = json.loads(sys.argv[1]); X = np.array(d["x"]).reshape(40, 5); y = np.array(d["y"])
        A = np.hstack([np.ones((40, 1)), X]); b = np.linalg.lstsq(A, y, rcond=None)[0]
        Xc = X - X.mean(0); yc = y - y.mean(); r = np.linalg.solve(Xc.T @ Xc + 4 * np.eye(5), Xc.T @ yc)
        print(json.dumps({"ols": b.tolist(), "ridge": [float(y.mean() - X.mean(0) @ r)] + r.tolist()}))
        """
        let out = try TestSupport.python(script, [json])
        let ref = try JSONDecoder().decode([String: [Double]].self, from: Data(out.utf8))
        let o = try #require(ref["ols"]), r = try #require(ref["ridge"])
        #expect(abs(ols.intercept - o[0]) < 1e-9)
        for j in 0..<5 { #expect(abs(ols.coefficients[j] - o[j + 1]) < 1e-9) }
        #expect(abs(ridge.intercept - r[0]) < 1e-9)
        for j in 0..<5 { #expect(abs(ridge.coefficients[j] - r[j + 1]) < 1e-9) }
    }

    @Test func lassoZeroesIrrelevantColumns() throws {
        let (x, y) = try Self.data(rows: 200, columns: 8, truth: [2, 0, 0, -1.5, 0, 0, 0, 0], intercept: 1, noise: 0.1, seed: 3)
        let fit = try LinearRegression.lasso(x, y, lambda: 0.1)
        for j in [1, 2, 4, 5, 6, 7] { #expect(fit.coefficients[j] == 0, "column \(j) = \(fit.coefficients[j])") }
        #expect(abs(fit.coefficients[0] - 2) < 0.2)
        #expect(abs(fit.coefficients[3] + 1.5) < 0.2)
        // KKT: at the optimum, |xc_j . r| / n <= lambda for zero coefficients, = lambda otherwise.
        let c = LinearRegression.centred(x, y)
        let pred = fit.predict(x)
        for j in 0..<8 {
            var g = 0.0
            for r in 0..<200 { g += c.x[r * 8 + j] * (y[r] - pred[r]) }
            g /= 200
            if fit.coefficients[j] == 0 { #expect(abs(g) <= 0.1 + 1e-6) } else { #expect(abs(abs(g) - 0.1) < 1e-5) }
        }
        // Above lambda_max everything is zero; along a path the active set grows.
        let lmax = try LinearRegression.lassoLambdaMax(x, y)
        #expect(try LinearRegression.lasso(x, y, lambda: lmax * 1.01).coefficients.allSatisfy { $0 == 0 })
        let path = try LinearRegression.lassoPath(x, y, lambdas: LinearRegression.logSpaced(maximum: lmax, ratio: 1e-3, count: 10))
        #expect(path.first?.coefficients.allSatisfy { $0 == 0 } == true)
        #expect((path.last?.coefficients.filter { $0 != 0 }.count ?? 0) >= 2)
    }

    @Test func singularOLSSaysWhatToDo() throws {
        // A constant column (a head kept in every mask) leaves X'X singular.
        let x = try DesignMatrix(rows: 4, columns: 2, values: [1, 0, 1, 1, 1, 0, 1, 1])
        #expect(throws: RegressionError.self) { try LinearRegression.ols(x, [1, 2, 1, 2]) }
        let ridge = try LinearRegression.ridge(x, [1, 2, 1, 2], lambda: 0.1)
        #expect(ridge.coefficients[0] == 0)
        #expect(throws: RegressionError.self) { try DesignMatrix(rows: 2, columns: 2, values: [1]) }
    }

    @Test func pearsonAndJaccard() {
        #expect(abs(Statistics.pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-12)
        #expect(abs(Statistics.pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12)
        #expect(Statistics.pearson([1, 1, 1], [1, 2, 3]) == 0)
        #expect(Statistics.jaccard(Set([1, 2, 3]), Set([2, 3, 4])) == 0.5)
    }
}
