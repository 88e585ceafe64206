import CBLAS

/// Thin Swift entry points to OpenBLAS: single-precision matrix products and thread control.
///
/// All matrices are row-major. The functions take unsafe buffer pointers because the engine calls
/// them on memory-mapped weights and preallocated scratch buffers, where copying into arrays would
/// cost more than the product itself.
public enum BLAS {
    /// Whether an operand is used as stored or transposed.
    public enum Transpose: Sendable {
        case none, transposed
        @usableFromInline var cValue: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// `C = alpha * op(A) * op(B) + beta * C`, with `op(A)` of shape `[m, k]` and `op(B)` of shape
    /// `[k, n]`; `lda`, `ldb`, `ldc` are row strides (default: tightly packed).
    @inlinable
    public static func sgemm(
        _ transA: Transpose = .none, _ transB: Transpose = .none,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        let lda = lda ?? (transA == .none ? k : m)
        let ldb = ldb ?? (transB == .none ? n : k)
        let ldc = ldc ?? n
        cblas_sgemm(CblasRowMajor, transA.cValue, transB.cValue,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// `y = alpha * op(A) * x + beta * y` for a row-major `A` of shape `[rows, cols]`.
    @inlinable
    public static func sgemv(
        _ trans: Transpose = .none, rows: Int, cols: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, trans.cValue, Int32(rows), Int32(cols), alpha, a,
                    Int32(lda ?? cols), x, 1, beta, y, 1)
    }

    /// The number of threads OpenBLAS uses for the next calls.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The OpenBLAS build description (core type and threading), for provenance in manifests.
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }
}
