import CBLAS

extension BLAS {
    /// Which triangle of a symmetric matrix (row-major) is read or written.
    public enum Triangle: Sendable {
        case upper, lower
    }

    /// `C = alpha * Aᵀ A + beta * C` for a row-major `A` of shape `[k, n]` (so `C` is `[n, n]`),
    /// writing only `triangle` of `C`: half the work of the same product through `sgemm`, which
    /// matters for Gram and Hessian matrices.
    @inlinable
    public static func ssyrkTransposed(
        _ triangle: Triangle = .upper, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        cblas_ssyrk(CblasRowMajor, triangle == .upper ? CblasUpper : CblasLower, CblasTrans,
                    Int32(n), Int32(k), alpha, a, Int32(lda ?? n), beta, c, Int32(ldc ?? n))
    }

    /// Cholesky factorisation in place of a symmetric positive-definite row-major `[n, n]`
    /// matrix, reading and writing only `triangle` (LAPACK `spotrf`).
    ///
    /// Returns false when the matrix is not positive definite (the leading minor of order
    /// `info` is not), leaving `a` partly overwritten.
    @inlinable
    public static func choleskyFactor(_ triangle: Triangle = .upper, n: Int,
                                      a: UnsafeMutablePointer<Float>, lda: Int? = nil) -> Bool {
        // Row-major upper is column-major lower: swap the triangle for Fortran.
        var uplo: CChar = triangle == .upper ? CChar(UInt8(ascii: "L")) : CChar(UInt8(ascii: "U"))
        var order = blasint(n), leading = blasint(lda ?? n), info = blasint(0)
        _ = spotrf_(&uplo, &order, a, &leading, &info)
        return info == 0
    }

    /// Solves `A x = b` in place of the vector `b` (`n` values), given the factor of `A` from
    /// `choleskyFactor` with the same `triangle` (LAPACK `spotrs`).
    ///
    /// One right-hand side only: several, stored row-major, would not be the column-major
    /// layout LAPACK expects.
    @inlinable
    public static func choleskySolve(_ triangle: Triangle = .upper, n: Int,
                                     factor: UnsafeMutablePointer<Float>, lda: Int? = nil,
                                     rhs: UnsafeMutablePointer<Float>) -> Bool {
        var uplo: CChar = triangle == .upper ? CChar(UInt8(ascii: "L")) : CChar(UInt8(ascii: "U"))
        var order = blasint(n), columns = blasint(1), leading = blasint(lda ?? n)
        var rhsLeading = blasint(n), info = blasint(0)
        _ = spotrs_(&uplo, &order, &columns, factor, &leading, rhs, &rhsLeading, &info)
        return info == 0
    }
}
