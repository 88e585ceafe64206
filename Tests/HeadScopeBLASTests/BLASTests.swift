import Testing
@testable import HeadScopeBLAS

@Suite struct BLASTests {
    /// A naive reference product to check sgemm against, including transposed operands.
    func reference(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                   transA: Bool, transB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k {
                let av = transA ? a[p * m + i] : a[i * k + p]
                let bv = transB ? b[j * k + p] : b[p * n + j]
                s += av * bv
            }
            c[i * n + j] = s
        } }
        return c
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgemmMatchesNaiveProduct(transA: Bool, transB: Bool) {
        let (m, n, k) = (5, 7, 3)
        let a = (0..<(m * k)).map { Float($0 % 11) - 4.5 }
        let b = (0..<(k * n)).map { Float(($0 * 7) % 13) * 0.25 - 1 }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(transA ? .transposed : .none, transB ? .transposed : .none,
                           m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!,
                           c: pc.baseAddress!)
            }
        } }
        #expect(c == reference(a, b, m: m, n: n, k: k, transA: transA, transB: transB))
    }

    @Test func sgemvAccumulatesWithBeta() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]      // 2 x 3
        let x: [Float] = [1, 0, -1]
        var y: [Float] = [10, 20]
        a.withUnsafeBufferPointer { pa in x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                BLAS.sgemv(rows: 2, cols: 3, alpha: 2, a: pa.baseAddress!, x: px.baseAddress!,
                           beta: 1, y: py.baseAddress!)
            }
        } }
        let expected: [Float] = [6, 16]  // 10 + 2 * (1 - 3), 20 + 2 * (4 - 6)
        #expect(y == expected)
        var t: [Float] = [0, 0, 0]
        let v: [Float] = [1, 1]
        a.withUnsafeBufferPointer { pa in v.withUnsafeBufferPointer { pv in
            t.withUnsafeMutableBufferPointer { pt in
                BLAS.sgemv(.transposed, rows: 2, cols: 3, a: pa.baseAddress!, x: pv.baseAddress!,
                           y: pt.baseAddress!)
            }
        } }
        let columnSums: [Float] = [5, 7, 9]
        #expect(t == columnSums)
    }

    @Test func threadCountCanBeSet() {
        let before = BLAS.threadCount
        BLAS.threadCount = 1
        #expect(BLAS.threadCount == 1)
        BLAS.threadCount = before
        #expect(BLAS.threadCount == before)
        #expect(!BLAS.configuration.isEmpty)
    }
}
