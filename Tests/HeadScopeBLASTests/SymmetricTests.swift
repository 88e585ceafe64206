import Testing
@testable import HeadScopeBLAS

/// `ssyrkTransposed`, `choleskyFactor` and `choleskySolve` against naive products.
@Suite struct SymmetricTests {
    @Test func gramMatrixUpperTriangleMatchesNaiveProduct() {
        let (k, n) = (7, 4)
        let a = (0..<(k * n)).map { Float(($0 * 5) % 11) * 0.5 - 2 }
        var c = [Float](repeating: -99, count: n * n)
        a.withUnsafeBufferPointer { pa in
            c.withUnsafeMutableBufferPointer { pc in
                BLAS.ssyrkTransposed(.upper, n: n, k: k, a: pa.baseAddress!, c: pc.baseAddress!)
            }
        }
        for i in 0..<n {
            for j in 0..<n {
                var s: Float = 0
                for r in 0..<k { s += a[r * n + i] * a[r * n + j] }
                if j >= i {
                    #expect(abs(c[i * n + j] - s) < 1e-4, "C[\(i),\(j)] = \(c[i * n + j]), expected \(s)")
                } else {
                    #expect(c[i * n + j] == -99, "the lower triangle must be left alone")
                }
            }
        }
    }

    @Test func choleskySolvesASymmetricPositiveDefiniteSystem() {
        // A = Bᵀ B + I is symmetric positive definite; solve A x = b and check A x against b.
        let n = 5
        let b = (0..<(n * n)).map { Float(($0 * 7) % 13) * 0.25 - 1.5 }
        var a = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            var s: Float = i == j ? 1 : 0
            for r in 0..<n { s += b[r * n + i] * b[r * n + j] }
            a[i * n + j] = s
        } }
        let rhs: [Float] = [1, -2, 0.5, 3, -1]
        var factor = a, x = rhs
        let ok = factor.withUnsafeMutableBufferPointer { f in
            x.withUnsafeMutableBufferPointer { xs in
                BLAS.choleskyFactor(.upper, n: n, a: f.baseAddress!)
                    && BLAS.choleskySolve(.upper, n: n, factor: f.baseAddress!, rhs: xs.baseAddress!)
            }
        }
        #expect(ok)
        for i in 0..<n {
            var s: Float = 0
            for j in 0..<n { s += a[i * n + j] * x[j] }
            #expect(abs(s - rhs[i]) < 1e-4, "row \(i): \(s) vs \(rhs[i])")
        }
    }

    @Test func choleskyRefusesAnIndefiniteMatrix() {
        var a: [Float] = [1, 2, 2, 1]   // eigenvalues 3 and -1
        let ok = a.withUnsafeMutableBufferPointer { BLAS.choleskyFactor(.upper, n: 2, a: $0.baseAddress!) }
        #expect(!ok)
    }
}
