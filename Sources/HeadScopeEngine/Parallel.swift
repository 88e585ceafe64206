import Foundation

/// Work sizes above which steps run across cores, and the causal attention block size. Every
/// setting computes the same values up to rounding; tests lower them to exercise the parallel
/// and blocked paths on tiny models.
enum ParallelTuning {
    /// Element operations of a row-wise step (activations).
    nonisolated(unsafe) static var rowWork = 1 << 17
    /// Floating-point operations of one attention layer call (heads in parallel).
    nonisolated(unsafe) static var attentionWork = 1 << 20
    /// Query rows per causal attention block.
    nonisolated(unsafe) static var attentionRowBlock = 128
}

/// Splits `count` independent rows into a few contiguous ranges run on all cores when there is
/// enough work (`count * costPerRow` element operations) to pay for the dispatch; element-wise
/// steps between GEMMs (activations, norms) would otherwise run on one core while the others idle.
func forEachRowRange(_ count: Int, costPerRow: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let chunks = min(cores, count)
    guard chunks > 1, count * costPerRow >= ParallelTuning.rowWork else {
        body(0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks) { i in
        body((i * count / chunks)..<((i + 1) * count / chunks))
    }
}
