import Foundation

/// How head attributions are fitted from keep-masks and outcomes.
public enum RegressionMethod: String, Codable, Sendable, CaseIterable {
    /// Ordinary least squares (normal equations, Cholesky).
    case ols
    /// Ridge: least squares plus `lambda * |b|^2` (intercept not penalised).
    case ridge
    /// Lasso: `(1/2n)|y - Xb|^2 + lambda * |b|_1` by coordinate descent along a lambda path.
    case lasso
}

/// A row-major design matrix of doubles (`rows x columns`).
public struct DesignMatrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw RegressionError("design matrix of \(rows) x \(columns) needs \(rows * columns) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public subscript(row: Int, column: Int) -> Double { values[row * columns + column] }

    /// The rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> DesignMatrix {
        // Cannot fail: the slice has exactly range.count * columns values.
        DesignMatrix(unchecked: range.count, columns, Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    init(unchecked rows: Int, _ columns: Int, _ values: [Double]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }
}

/// A fitted linear model `y = intercept + sum_j coefficients[j] * x_j`.
public struct LinearFit: Sendable, Equatable, Codable {
    public var intercept: Double
    public var coefficients: [Double]
    /// The penalty the fit used (0 for OLS).
    public var lambda: Double

    public init(intercept: Double, coefficients: [Double], lambda: Double) {
        self.intercept = intercept
        self.coefficients = coefficients
        self.lambda = lambda
    }

    /// Predictions for every row of `x`.
    public func predict(_ x: DesignMatrix) -> [Double] {
        (0..<x.rows).map { r in
            var s = intercept
            let base = r * x.columns
            for j in 0..<min(x.columns, coefficients.count) { s += coefficients[j] * x.values[base + j] }
            return s
        }
    }
}

/// A regression that could not be computed, and what to do about it.
public struct RegressionError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "regression: \(message)" }
}

/// Linear fits with an intercept, in plain Swift (no LAPACK): OLS and ridge through the normal
/// equations of the centred data solved by Cholesky, Lasso by cyclic coordinate descent.
///
/// Centring handles the intercept: the slopes are fitted on `X - mean(X)` and `y - mean(y)`, and
/// `intercept = mean(y) - mean(X) . b`, so the intercept is never penalised. With keep-masks the
/// design has a few hundred to a few thousand columns, where forming `X'X` once is cheap.
public enum LinearRegression {
    /// Column means of `x` and the centred copy.
    static func centred(_ x: DesignMatrix, _ y: [Double]) -> (x: [Double], xMean: [Double], y: [Double], yMean: Double) {
        let n = x.rows, p = x.columns
        var mean = [Double](repeating: 0, count: p)
        for r in 0..<n { for j in 0..<p { mean[j] += x.values[r * p + j] } }
        if n > 0 { for j in 0..<p { mean[j] /= Double(n) } }
        var xc = x.values
        for r in 0..<n { for j in 0..<p { xc[r * p + j] -= mean[j] } }
        let ym = n > 0 ? y.reduce(0, +) / Double(n) : 0
        return (xc, mean, y.map { $0 - ym }, ym)
    }

    static func check(_ x: DesignMatrix, _ y: [Double]) throws {
        guard x.rows == y.count else {
            throw RegressionError("\(x.rows) design rows but \(y.count) outcomes")
        }
        guard x.rows >= 2 else { throw RegressionError("need at least 2 rows to fit, got \(x.rows)") }
        guard y.allSatisfy(\.isFinite), x.values.allSatisfy(\.isFinite) else {
            throw RegressionError("the data hold NaN or infinite values")
        }
    }

    /// Ordinary least squares. Throws when `X'X` (centred) is singular, e.g. a column that never
    /// varies or more columns than rows; use ridge then.
    public static func ols(_ x: DesignMatrix, _ y: [Double]) throws -> LinearFit {
        try ridge(x, y, lambda: 0)
    }

    /// Ridge regression minimising `|yc - Xc b|^2 + lambda |b|^2`.
    public static func ridge(_ x: DesignMatrix, _ y: [Double], lambda: Double) throws -> LinearFit {
        try check(x, y)
        guard lambda >= 0, lambda.isFinite else { throw RegressionError("ridge lambda must be >= 0, got \(lambda)") }
        let n = x.rows, p = x.columns
        let c = centred(x, y)
        // Normal equations: (Xc'Xc + lambda I) b = Xc'yc.
        var a = [Double](repeating: 0, count: p * p)
        var rhs = [Double](repeating: 0, count: p)
        for r in 0..<n {
            let base = r * p
            for i in 0..<p {
                let xi = c.x[base + i]
                if xi == 0 { continue }
                rhs[i] += xi * c.y[r]
                for j in i..<p { a[i * p + j] += xi * c.x[base + j] }
            }
        }
        for i in 0..<p {
            a[i * p + i] += lambda
            for j in 0..<i { a[i * p + j] = a[j * p + i] }
        }
        let b = try choleskySolve(a, rhs, size: p, method: lambda == 0 ? "OLS" : "ridge")
        var intercept = c.yMean
        for j in 0..<p { intercept -= c.xMean[j] * b[j] }
        return LinearFit(intercept: intercept, coefficients: b, lambda: lambda)
    }

    /// Solves `A x = b` for symmetric positive definite `A` (row-major `size x size`).
    public static func choleskySolve(_ a: [Double], _ b: [Double], size p: Int, method: String = "system") throws -> [Double] {
        var l = [Double](repeating: 0, count: p * p)
        // Relative pivot floor: a pivot this small means the matrix is singular to working precision.
        let scale = (0..<p).map { abs(a[$0 * p + $0]) }.max() ?? 0
        let floor = max(scale, 1) * 1e-12
        for j in 0..<p {
            var d = a[j * p + j]
            for k in 0..<j { d -= l[j * p + k] * l[j * p + k] }
            guard d > floor else {
                throw RegressionError("\(method) normal equations are singular at column \(j) (a head that is never or always kept, or fewer masks than heads); use more masks or --fit ridge")
            }
            let djj = d.squareRoot()
            l[j * p + j] = djj
            for i in (j + 1)..<max(j + 1, p) {
                var s = a[i * p + j]
                for k in 0..<j { s -= l[i * p + k] * l[j * p + k] }
                l[i * p + j] = s / djj
            }
        }
        var z = [Double](repeating: 0, count: p)
        for i in 0..<p {
            var s = b[i]
            for k in 0..<i { s -= l[i * p + k] * z[k] }
            z[i] = s / l[i * p + i]
        }
        var x = [Double](repeating: 0, count: p)
        for i in stride(from: p - 1, through: 0, by: -1) {
            var s = z[i]
            for k in (i + 1)..<max(i + 1, p) { s -= l[k * p + i] * x[k] }
            x[i] = s / l[i * p + i]
        }
        return x
    }

    /// The smallest Lasso penalty at which every coefficient is zero: `max_j |xc_j . yc| / n`.
    public static func lassoLambdaMax(_ x: DesignMatrix, _ y: [Double]) throws -> Double {
        try check(x, y)
        let c = centred(x, y)
        let n = x.rows, p = x.columns
        var best = 0.0
        for j in 0..<p {
            var s = 0.0
            for r in 0..<n { s += c.x[r * p + j] * c.y[r] }
            best = max(best, abs(s) / Double(n))
        }
        return best
    }

    /// Lasso at one penalty, minimising `(1/2n)|yc - Xc b|^2 + lambda |b|_1` by cyclic coordinate
    /// descent until no coefficient moves by more than `tolerance` (times the outcome's scale).
    public static func lasso(_ x: DesignMatrix, _ y: [Double], lambda: Double, tolerance: Double = 1e-7,
                             maxSweeps: Int = 10_000, start: [Double]? = nil) throws -> LinearFit {
        try lassoPath(x, y, lambdas: [lambda], tolerance: tolerance, maxSweeps: maxSweeps, start: start)[0]
    }

    /// Lasso along `lambdas` (use decreasing values: each fit starts from the previous one).
    public static func lassoPath(_ x: DesignMatrix, _ y: [Double], lambdas: [Double], tolerance: Double = 1e-7,
                                 maxSweeps: Int = 10_000, start: [Double]? = nil) throws -> [LinearFit] {
        try check(x, y)
        guard lambdas.allSatisfy({ $0 >= 0 && $0.isFinite }) else { throw RegressionError("Lasso lambdas must be finite and >= 0") }
        let n = x.rows, p = x.columns
        let c = centred(x, y)
        // Column-major copy for the inner loop, and each column's mean square.
        var cols = [Double](repeating: 0, count: n * p)
        var norm = [Double](repeating: 0, count: p)
        for r in 0..<n { for j in 0..<p { let v = c.x[r * p + j]; cols[j * n + r] = v; norm[j] += v * v } }
        for j in 0..<p { norm[j] /= Double(n) }
        var b = start ?? [Double](repeating: 0, count: p)
        guard b.count == p else { throw RegressionError("Lasso start has \(b.count) values for \(p) columns") }
        var residual = c.y
        for j in 0..<p where b[j] != 0 { for r in 0..<n { residual[r] -= cols[j * n + r] * b[j] } }
        let yScale = max(c.y.map(abs).max() ?? 0, 1e-12)
        var fits: [LinearFit] = []
        for lambda in lambdas {
            for _ in 0..<maxSweeps {
                var largest = 0.0
                for j in 0..<p where norm[j] > 0 {
                    let old = b[j]
                    var rho = 0.0
                    let base = j * n
                    for r in 0..<n { rho += cols[base + r] * residual[r] }
                    rho = rho / Double(n) + norm[j] * old
                    let new = softThreshold(rho, lambda) / norm[j]
                    if new != old {
                        let delta = new - old
                        for r in 0..<n { residual[r] -= cols[base + r] * delta }
                        b[j] = new
                        largest = max(largest, abs(delta))
                    }
                }
                if largest <= tolerance * yScale { break }
            }
            var intercept = c.yMean
            for j in 0..<p { intercept -= c.xMean[j] * b[j] }
            fits.append(LinearFit(intercept: intercept, coefficients: b, lambda: lambda))
        }
        return fits
    }

    /// `sign(z) * max(|z| - t, 0)`.
    public static func softThreshold(_ z: Double, _ t: Double) -> Double {
        z > t ? z - t : (z < -t ? z + t : 0)
    }

    /// `count` penalties spaced evenly in log from `maximum` down to `maximum * ratio`.
    public static func logSpaced(maximum: Double, ratio: Double, count: Int) -> [Double] {
        guard count > 1, maximum > 0 else { return [maximum] }
        return (0..<count).map { i in maximum * pow(ratio, Double(i) / Double(count - 1)) }
    }
}

/// Small statistics used by the fits and their checks.
public enum Statistics {
    /// Pearson correlation; 0 when either side has no variance.
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = min(a.count, b.count)
        guard n > 1 else { return 0 }
        let ma = a.prefix(n).reduce(0, +) / Double(n), mb = b.prefix(n).reduce(0, +) / Double(n)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<n {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return 0 }
        return sab / (saa * sbb).squareRoot()
    }

    public static func meanSquaredError(_ a: [Double], _ b: [Double]) -> Double {
        let n = min(a.count, b.count)
        guard n > 0 else { return 0 }
        var s = 0.0
        for i in 0..<n { s += (a[i] - b[i]) * (a[i] - b[i]) }
        return s / Double(n)
    }

    /// Jaccard index of two sets (1 when both are empty).
    public static func jaccard<T: Hashable>(_ a: Set<T>, _ b: Set<T>) -> Double {
        let union = a.union(b).count
        return union == 0 ? 1 : Double(a.intersection(b).count) / Double(union)
    }
}
