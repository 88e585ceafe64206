import HeadScopeCore
import Foundation
import HeadScopeIntervene
import Testing
import TestSupport

@Suite("Bootstrap intervals over items")
struct BootstrapTests {
    @Test("percentiles interpolate like numpy.percentile")
    func percentilesMatchNumpy() throws {
        var generator = SeededGenerator(seed: 7)
        let values = (0..<37).map { _ in Double(generator.below(1000)) / 997 }
        let text = try TestSupport.python("""
        import sys, numpy as np
        v = np.array([float(x) for x in sys.argv[1].split(',')])
        print(repr(float(np.percentile(v, 2.5))), repr(float(np.percentile(v, 97.5))))
        """, [values.map { String($0) }.joined(separator: ",")])
        let expected = text.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let interval = Bootstrap.percentiles(values, level: 0.95)
        #expect(expected.count == 2)
        #expect(abs(interval.low - expected[0]) < 1e-12 && abs(interval.high - expected[1]) < 1e-12)
    }

    @Test("a rate of 1/2 over 400 items gets the normal-approximation interval, within resampling noise")
    func normalApproximation() {
        let tallies = (0..<400).map { Bootstrap.Tally(successes: $0 % 2, trials: 1, referenceSuccesses: 0) }
        let ci = Bootstrap(samples: 4000, seed: 3).intervals(tallies, label: "half")
        let halfWidth = 1.959964 * (0.25 / 400).squareRoot()   // 0.049
        #expect(abs((ci?.rate.low ?? 0) - (0.5 - halfWidth)) < 0.006)
        #expect(abs((ci?.rate.high ?? 0) - (0.5 + halfWidth)) < 0.006)
        // Paired against a reference that always succeeds, the difference is the rate minus one.
        let paired = tallies.map { Bootstrap.Tally(successes: $0.successes, trials: 1, referenceSuccesses: 1) }
        let d = Bootstrap(samples: 4000, seed: 3).intervals(paired, label: "half")
        #expect(abs((d?.difference.low ?? 0) - (-0.5 - halfWidth)) < 0.006)
    }

    @Test("resampling is by item: one item with many steps widens the interval")
    func clusteredResampling() {
        // 10 items; one holds 10 failing steps, the others one passing step each.
        var tallies = (0..<9).map { _ in Bootstrap.Tally(successes: 1, trials: 1) }
        tallies.append(Bootstrap.Tally(successes: 0, trials: 10))
        let byItem = Bootstrap(samples: 2000, seed: 1).intervals(tallies, label: "x")
        // The same 19 steps as independent items.
        let bySteps = Bootstrap(samples: 2000, seed: 1).intervals(
            Array(repeating: Bootstrap.Tally(successes: 1, trials: 1), count: 9) + Array(repeating: Bootstrap.Tally(successes: 0, trials: 1), count: 10),
            label: "x")
        let wide = (byItem?.rate.high ?? 0) - (byItem?.rate.low ?? 0)
        let narrow = (bySteps?.rate.high ?? 0) - (bySteps?.rate.low ?? 0)
        #expect(wide > narrow)
        #expect((byItem?.rate.high ?? 0) == 1)   // a draw without the failing item is all success
    }

    @Test("same seed and label, same interval; no steps, no interval; constant data, a point")
    func determinismAndEdges() {
        let tallies = (0..<30).map { Bootstrap.Tally(successes: $0 % 3 == 0 ? 1 : 0, trials: 1) }
        let a = Bootstrap(samples: 300, seed: 9).intervals(tallies, label: "c")
        let b = Bootstrap(samples: 300, seed: 9).intervals(tallies, label: "c")
        let c = Bootstrap(samples: 300, seed: 10).intervals(tallies, label: "c")
        #expect(a?.rate == b?.rate && a?.difference == b?.difference)
        #expect(a?.rate != c?.rate)
        #expect(Bootstrap().intervals([], label: "c") == nil)
        let constant = Bootstrap(samples: 50).intervals(Array(repeating: .init(successes: 2, trials: 2, referenceSuccesses: 2), count: 5), label: "c")
        #expect(constant?.rate == Bootstrap.Interval(low: 1, high: 1))
        #expect(constant?.difference == Bootstrap.Interval(low: 0, high: 0))
    }
}
