import ArgumentParser
import Foundation
import HeadScopeCore
import HeadScopeBLAS

/// `headscope-bench sgemm`: the roof prefill is measured against, a large fp32 GEMM through the
/// same OpenBLAS with the same thread count.
struct SgemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgemm", abstract: "Best-of-N GFLOP/s of one large sgemm (C[m,n] = A[m,k] B[k,n]^T).")

    @Option(help: "Rows of A and C (tokens).") var m = 1024
    @Option(help: "Columns of C (output features).") var n = 4096
    @Option(help: "Inner dimension (input features).") var k = 4096
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Option(help: "Timed repeats (after one warm-up).") var repeats = 5

    func validate() throws {
        guard m > 0, n > 0, k > 0, threads > 0, repeats > 0 else {
            throw ValidationError("m, n, k, threads and repeats must be positive")
        }
    }

    func run() throws {
        BLAS.threadCount = threads
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var generator = SplitMix64(seed: 7)
        for i in 0..<(m * k) { a[i] = generator.nextFloat() - 0.5 }
        for i in 0..<(n * k) { b[i] = generator.nextFloat() - 0.5 }
        // Weights are stored [out, in] and used transposed, as the engine's Linear does.
        let product = { BLAS.sgemm(.none, .transposed, m: m, n: n, k: k, a: a, b: b, beta: 0, c: c) }
        product()
        let times = (0..<repeats).map { _ in seconds(product) }
        let flops = 2 * Double(m) * Double(n) * Double(k)
        printJSON([("impl", "sgemm"), ("m", m), ("n", n), ("k", k), ("threads", threads),
                   ("best_gflops", flops / times.min()! / 1e9),
                   ("median_gflops", flops / Statistics.median(times) / 1e9),
                   ("openblas", BLAS.configuration)])
    }
}
