import Foundation
import HeadScopeBLAS

/// Settings of the L2-regularised binary logistic regression every probe is.
///
/// The objective is scikit-learn's `LogisticRegression(C=c)`:
/// `c * Σ log(1 + exp(-ỹᵢ (xᵢ·w + b))) + ½‖w‖²` with the intercept `b` not penalised. It is
/// strictly convex, so the minimiser is unique and any solver that converges tightly finds the
/// same coefficients; HeadScope uses Newton's method (see `LogisticRegressionSolver`).
public struct LogisticRegressionOptions: Sendable, Equatable, Codable {
    /// Inverse regularisation strength, as scikit-learn's `C`.
    public var c: Double
    /// Cap on Newton iterations (from zero, a regularised problem needs 5–15).
    public var maxIterations: Int
    /// Converged when the last step moved no coefficient by more than
    /// `tolerance * max(1, max |w|)`: Newton's convergence is quadratic, so what remains after
    /// such a step is far below it.
    public var tolerance: Double

    public init(c: Double = 1, maxIterations: Int = 100, tolerance: Double = 1e-6) {
        self.c = c
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    enum CodingKeys: String, CodingKey {
        case c
        case maxIterations = "max_iterations"
        case tolerance
    }
}

/// A fitted probe: coefficients, intercept and how the solve went.
public struct LogisticFit: Sendable, Equatable {
    public var coefficients: [Float]
    public var intercept: Float
    /// Newton iterations taken.
    public var iterations: Int
    /// Whether the convergence test was met before `maxIterations`.
    public var converged: Bool
    /// The objective at the solution, `Σ log-loss + ‖w‖² / (2c)` (scikit-learn's divided by `c`).
    public var objective: Double

    /// The decision value `x·w + b` for one feature vector.
    public func decision(_ x: UnsafePointer<Float>) -> Float {
        var s = intercept
        for j in 0..<coefficients.count { s += coefficients[j] * x[j] }
        return s
    }
}

/// Fits L2 logistic regressions by Newton's method with a Cholesky solve, reusing its buffers.
///
/// Each iteration forms the Hessian `Xᵀ diag(σ(1-σ)) X + I/c` (intercept unpenalised) with one
/// `ssyrk` — for a probe of 2 x 128 features and a few hundred rows that is a few tens of MFLOP,
/// BLAS-3 speed — factors it with LAPACK's `spotrf`, and takes the Newton step with a
/// backtracking line search on the objective (Armijo), so it converges from zero whatever the
/// data. Near the optimum (full steps below 1% of the weights) the factored Hessian is reused
/// for the last few steps. Scores and gradients are single precision through BLAS; the objective is summed in
/// double. One solver per thread: it is not safe to share.
public final class LogisticRegressionSolver {
    public let options: LogisticRegressionOptions
    /// Largest number of rows a design may have.
    public let rowCapacity: Int
    /// Columns of the design: features plus one trailing column of ones for the intercept.
    public let columns: Int

    private var scores: UnsafeMutablePointer<Float>
    private var trialScores: UnsafeMutablePointer<Float>
    private let residual: UnsafeMutablePointer<Float>
    private let scaled: UnsafeMutablePointer<Float>
    private let hessian: UnsafeMutablePointer<Float>
    private let gradient: UnsafeMutablePointer<Float>
    private let direction: UnsafeMutablePointer<Float>
    private let hessianCopy: UnsafeMutablePointer<Float>
    private var weights: UnsafeMutablePointer<Float>
    private var trialWeights: UnsafeMutablePointer<Float>

    /// A solver for designs of up to `rowCapacity` rows and `features` features (the intercept
    /// column comes on top).
    public init(rowCapacity: Int, features: Int, options: LogisticRegressionOptions = .init()) {
        self.options = options
        self.rowCapacity = max(1, rowCapacity)
        self.columns = features + 1
        let n = self.rowCapacity, q = columns
        scores = .allocate(capacity: n)
        trialScores = .allocate(capacity: n)
        residual = .allocate(capacity: n)
        scaled = .allocate(capacity: n * q)
        hessian = .allocate(capacity: q * q)
        hessianCopy = .allocate(capacity: q * q)
        gradient = .allocate(capacity: q)
        direction = .allocate(capacity: q)
        weights = .allocate(capacity: q)
        trialWeights = .allocate(capacity: q)
    }

    deinit {
        for p in [scores, trialScores, residual, scaled, hessian, hessianCopy, gradient, direction, weights, trialWeights] {
            p.deallocate()
        }
    }

    /// Fits `labels` (0 or 1 per row) on a row-major design of `rows` x `columns` whose last
    /// column is all ones (the intercept).
    public func fit(design x: UnsafePointer<Float>, labels y: UnsafePointer<Float>, rows n: Int) -> LogisticFit {
        precondition(n <= rowCapacity, "design has more rows than the solver was made for")
        let q = columns, p = q - 1
        let lambda = Float(1 / options.c)
        weights.initialize(repeating: 0, count: q)
        scores.initialize(repeating: 0, count: n)
        var objective = self.objective(scores: scores, weights: weights, labels: y, rows: n)
        var iterations = 0
        var converged = false

        var frozen = false          // reuse the last factored Hessian (see below)
        while iterations < options.maxIterations {
            iterations += 1
            // Residuals σ(s) - y; g = Xᵀ r + λ w (intercept not penalised).
            for i in 0..<n { residual[i] = LogisticRegressionSolver.sigmoid(scores[i]) - y[i] }
            BLAS.sgemv(.transposed, rows: n, cols: q, a: x, x: residual, y: gradient)
            for j in 0..<p { gradient[j] += lambda * weights[j] }
            if !frozen {
                // H = Aᵀ A + λ I with A = rows scaled by sqrt(σ(1 - σ)); upper triangle.
                for i in 0..<n {
                    let sigma = residual[i] + y[i]
                    let root = (sigma * (1 - sigma)).squareRoot()
                    let row = x + i * q, out = scaled + i * q
                    for j in 0..<q { out[j] = root * row[j] }
                }
                BLAS.ssyrkTransposed(.upper, n: q, k: n, a: scaled, c: hessian)
                for j in 0..<p { hessian[j * q + j] += lambda }
                guard factorHessian() else { break }
            }
            for j in 0..<q { direction[j] = gradient[j] }
            guard BLAS.choleskySolve(.upper, n: q, factor: hessian, rhs: direction) else { break }

            // Backtracking line search along -d; the slack absorbs single-precision noise in the
            // objective near the optimum, where the true decrease falls below it.
            var decrement: Double = 0
            for j in 0..<q { decrement += Double(gradient[j]) * Double(direction[j]) }
            let slack = 1e-6 * max(1, abs(objective))
            var step: Float = 1
            var accepted = false
            var trialObjective = objective
            for _ in 0..<30 {
                for j in 0..<q { trialWeights[j] = weights[j] - step * direction[j] }
                BLAS.sgemv(rows: n, cols: q, a: x, x: trialWeights, y: trialScores)
                trialObjective = self.objective(scores: trialScores, weights: trialWeights, labels: y, rows: n)
                if trialObjective <= objective - 1e-4 * Double(step) * decrement + slack {
                    accepted = true
                    break
                }
                step *= 0.5
            }
            guard accepted else {
                if frozen {
                    // A stale Hessian misled the step: refactor at the current point and retry.
                    frozen = false
                    continue
                }
                // No decrease is measurable: the solve is at the precision of the arithmetic.
                converged = decrement <= 1e-6 * max(1, abs(objective))
                break
            }
            var largestMove: Float = 0, largestWeight: Float = 0
            for j in 0..<q {
                largestMove = max(largestMove, abs(step * direction[j]))
                largestWeight = max(largestWeight, abs(trialWeights[j]))
            }
            (weights, trialWeights) = (trialWeights, weights)
            (scores, trialScores) = (trialScores, scores)
            objective = trialObjective
            let relativeMove = Double(largestMove) / max(1, Double(largestWeight))
            if relativeMove <= options.tolerance {
                converged = true
                break
            }
            // Once full steps are small the curvature barely changes between iterates, so the
            // factored Hessian is kept (a chord step costs two BLAS-2 products instead of a
            // BLAS-3 product and a factorisation) and convergence, now linear, stays fast.
            frozen = step == 1 && relativeMove <= 1e-2
        }
        return LogisticFit(coefficients: Array(UnsafeBufferPointer(start: weights, count: p)),
                           intercept: weights[p], iterations: iterations, converged: converged,
                           objective: objective)
    }

    /// Cholesky of the Hessian in place; on failure (curvature underflow on near-separable
    /// data) retries once with a small ridge on the diagonal.
    private func factorHessian() -> Bool {
        let q = columns
        hessianCopy.update(from: hessian, count: q * q)
        if BLAS.choleskyFactor(.upper, n: q, a: hessian) { return true }
        var trace: Float = 0
        for j in 0..<q { trace += hessianCopy[j * q + j] }
        let ridge = max(Float(1e-6) * trace / Float(q), Float.leastNormalMagnitude)
        hessian.update(from: hessianCopy, count: q * q)
        for j in 0..<q { hessian[j * q + j] += ridge }
        return BLAS.choleskyFactor(.upper, n: q, a: hessian)
    }

    /// `Σ softplus(sᵢ) - yᵢ sᵢ + λ‖w‖²/2` in double precision.
    private func objective(scores s: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
                           labels y: UnsafePointer<Float>, rows n: Int) -> Double {
        var total: Double = 0
        for i in 0..<n {
            let v = Double(s[i])
            let softplus = v > 0 ? v + log1p(exp(-v)) : log1p(exp(v))
            total += softplus - Double(y[i]) * v
        }
        var norm: Double = 0
        for j in 0..<(columns - 1) { norm += Double(w[j]) * Double(w[j]) }
        return total + norm / (2 * options.c)
    }

    @inline(__always)
    static func sigmoid(_ s: Float) -> Float {
        s >= 0 ? 1 / (1 + exp(-s)) : { let e = exp(s); return e / (1 + e) }()
    }
}
