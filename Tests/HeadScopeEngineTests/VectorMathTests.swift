import Foundation
@testable import HeadScopeEngine
import Testing

@Suite("Vector math")
struct VectorMathTests {
    @Test("the vectorisable exp matches libm's expf within a few ulp over the softmax and sigmoid range")
    func expMatchesLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            for i in 0..<8 {
                let v = x + Float(i) * 0.0137, want = expf(v)
                worst = max(worst, abs(fastExp(v) - want) / want)
            }
            x += 0.1
        }
        #expect(worst < 4 * Float.ulpOfOne, "worst relative error \(worst)")
    }

    @Test("blocked scores (-inf) give exactly 0 and the softmax sums are those of expf")
    func softmaxPieces() {
        var row: [Float] = [-.infinity, 0, -1, 2.5, -.infinity, -100, 3, 0.25, 1, -2, -.infinity]
        let expected = row.map { expf($0 - 3) }
        let sum = row.withUnsafeMutableBufferPointer { b in
            #expect(maximum(b.baseAddress!, b.count) == 3)
            return expShifted(b.baseAddress!, b.count, shift: 3)
        }
        #expect(row[0] == 0 && row[4] == 0 && row[10] == 0)
        for (got, want) in zip(row, expected) { #expect(abs(got - want) <= 4 * Float.ulpOfOne * max(want, 1e-30)) }
        #expect(abs(sum - expected.reduce(0, +)) < 1e-6)
        var gate: [Float] = (0..<13).map { Float($0) - 6.5 }
        let want = gate.map { $0 / (1 + expf(-$0)) }
        gate.withUnsafeMutableBufferPointer { sigmoidGate($0.baseAddress!, $0.count, k: 1) }
        for (got, w) in zip(gate, want) { #expect(abs(got - w) <= 1e-6 * max(abs(w), 1)) }
    }
}
