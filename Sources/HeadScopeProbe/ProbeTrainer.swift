import Dispatch
import Foundation
import HeadScopeBLAS
import HeadScopeCore
import Synchronization

/// Trains every (function, layer, head) probe, one layer at a time, many probes at once.
///
/// Memory holds one layer of `z` (`[rows, heads, head_dim]`) and the results, never all layers.
/// Within a layer the (function, head) probes are independent: `threads` workers take them from
/// a shared counter, each with its own solver and buffers, with OpenBLAS single-threaded inside
/// (small products parallelise better across probes than inside one).
public final class ProbeTrainer {
    public let design: ProbeDesign
    public let geometry: HeadGeometry
    public let options: ProbeOptions
    /// Features per probe.
    public let featureCount: Int
    public private(set) var results: ProbeResults

    public init(design: ProbeDesign, geometry: HeadGeometry, options: ProbeOptions) {
        self.design = design
        self.geometry = geometry
        self.options = options
        featureCount = options.features == .zAndLayerMean ? 2 * geometry.headDim : geometry.headDim
        results = ProbeResults(geometry: geometry, featureCount: featureCount,
                               functionNames: design.functions.map(\.function))
    }

    /// Trains all layers from `source`, reporting layers done to `progress`.
    public func train(source: any LayerSource, progress: ProgressReporter? = nil) throws -> ProbeResults {
        for layer in 0..<geometry.layers {
            let z = try source.readLayer(layer)
            try trainLayer(layer, z: z)
            progress?.advance()
        }
        return results
    }

    /// Trains the probes of every (function, head) of `layer` from its `z` (`[rows, heads, D]`).
    public func trainLayer(_ layer: Int, z: [Float]) throws {
        let (h, d) = (geometry.heads, geometry.headDim)
        guard z.count % (h * d) == 0 else {
            throw ProbeError.malformedStore(file: "layer \(layer)", detail: "\(z.count) values is not a whole number of [\(h), \(d)] rows")
        }
        let rows = z.count / (h * d)
        // The layer mean over heads, per row: the shared half of every head's feature vector.
        var mean = [Float](repeating: 0, count: options.features == .zAndLayerMean ? rows * d : 0)
        if options.features == .zAndLayerMean {
            let scale = 1 / Float(h)
            for r in 0..<rows {
                for head in 0..<h {
                    let base = (r * h + head) * d
                    for j in 0..<d { mean[r * d + j] += z[base + j] }
                }
                for j in 0..<d { mean[r * d + j] *= scale }
            }
        }
        let tasks = design.functions.count * h
        let cells = CellBuffer(count: tasks)
        let next = Atomic<Int>(0)
        let workers = max(1, min(options.threads, tasks))
        let blasThreads = BLAS.threadCount
        BLAS.threadCount = 1
        defer { BLAS.threadCount = blasThreads }
        let functions = design.functions
        let maxTrainRows = design.maxTrainRows
        let maxTestRows = functions.map(\.testRows.count).max() ?? 0
        let (featureCount, options) = (self.featureCount, self.options)
        z.withUnsafeBufferPointer { zs in
            mean.withUnsafeBufferPointer { means in
                let context = CellContext(z: zs, mean: means, heads: h, headDim: d,
                                          featureCount: featureCount, options: options)
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    let worker = ProbeWorker(context: context, maxTrainRows: maxTrainRows, maxTestRows: maxTestRows)
                    while true {
                        let task = next.add(1, ordering: .relaxed).oldValue
                        if task >= tasks { break }
                        let (f, head) = (task / h, task % h)
                        cells.set(task, worker.train(functions[f], head: head))
                    }
                }
            }
        }
        for task in 0..<tasks {
            guard let cell = cells.get(task) else { continue }
            results.store(cell, function: task / h, layer: layer, head: task % h)
        }
        let f = design.functions
        results.fits += f.reduce(0) { total, rows in
            total + h * (1 + rows.permutedLabels.count + (options.crossValidationFolds > 1 ? options.crossValidationFolds : 0))
        }
    }
}

/// Results of one layer's tasks, each slot written by exactly one worker.
private final class CellBuffer: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<ProbeCellResult?>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    func set(_ index: Int, _ value: ProbeCellResult) { slots[index] = value }
    func get(_ index: Int) -> ProbeCellResult? { slots[index] }
}

/// What every worker of a layer reads (immutable while the layer trains).
private struct CellContext: @unchecked Sendable {
    var z: UnsafeBufferPointer<Float>
    var mean: UnsafeBufferPointer<Float>
    var heads: Int
    var headDim: Int
    var featureCount: Int
    var options: ProbeOptions
}

/// One worker's solver and buffers.
private final class ProbeWorker {
    let context: CellContext
    let solver: LogisticRegressionSolver
    let columns: Int
    var train: [Float]
    var subset: [Float]
    var subsetLabels: [Float]
    var test: [Float]
    var decisions: [Float]

    init(context: CellContext, maxTrainRows: Int, maxTestRows: Int) {
        self.context = context
        columns = context.featureCount + 1
        solver = LogisticRegressionSolver(rowCapacity: maxTrainRows, features: context.featureCount,
                                          options: context.options.logistic)
        train = [Float](repeating: 0, count: max(1, maxTrainRows) * columns)
        subset = [Float](repeating: 0, count: max(1, maxTrainRows) * columns)
        subsetLabels = [Float](repeating: 0, count: max(1, maxTrainRows))
        test = [Float](repeating: 0, count: max(1, maxTestRows, maxTrainRows) * columns)
        decisions = [Float](repeating: 0, count: max(1, maxTestRows, maxTrainRows))
    }

    /// Writes the feature rows `[z[r, head] ; mean[r] ; 1]` of `rows` into `out`.
    func fill(_ out: inout [Float], rows: [Int], head: Int) {
        let (h, d, q) = (context.heads, context.headDim, columns)
        let withMean = context.mean.count > 0
        out.withUnsafeMutableBufferPointer { o in
            for (i, r) in rows.enumerated() {
                let dst = o.baseAddress! + i * q
                let src = context.z.baseAddress! + (r * h + head) * d
                dst.update(from: src, count: d)
                if withMean { (dst + d).update(from: context.mean.baseAddress! + r * d, count: d) }
                dst[q - 1] = 1
            }
        }
    }

    func fit(_ design: [Float], labels: [Float], rows: Int) -> LogisticFit {
        design.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                solver.fit(design: x.baseAddress!, labels: y.baseAddress!, rows: rows)
            }
        }
    }

    /// Decision values of `fit` on the first `rows` rows of `design`.
    func decide(_ fit: LogisticFit, on design: [Float], rows: Int) -> [Float] {
        let q = columns
        var w = fit.coefficients
        w.append(fit.intercept)
        design.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { wv in
                decisions.withUnsafeMutableBufferPointer { out in
                    BLAS.sgemv(rows: rows, cols: q, a: x.baseAddress!, x: wv.baseAddress!, y: out.baseAddress!)
                }
            }
        }
        return Array(decisions.prefix(rows))
    }

    func train(_ f: ProbeDesign.FunctionRows, head: Int) -> ProbeCellResult {
        let n = f.trainRows.count, m = f.testRows.count
        fill(&train, rows: f.trainRows, head: head)
        fill(&test, rows: f.testRows, head: head)
        let main = fit(train, labels: f.trainLabels, rows: n)
        let scores = ClassificationScores(decisions: decide(main, on: test, rows: m), labels: f.testLabels)

        var permutation: ClassificationScores?
        var pValue = Double.nan
        if !f.permutedLabels.isEmpty {
            var all: [ClassificationScores] = []
            for labels in f.permutedLabels {
                let shuffled = fit(train, labels: labels, rows: n)
                all.append(ClassificationScores(decisions: decide(shuffled, on: test, rows: m), labels: f.testLabels))
            }
            permutation = ProbeWorker.mean(all)
            let kind = context.options.rankBy
            let real = kind.value(in: scores)
            let beaten = all.filter { kind.value(in: $0) >= real }.count
            pValue = Double(1 + beaten) / Double(1 + all.count)
        }

        var cvMean: ClassificationScores?, cvStd: ClassificationScores?
        let k = context.options.crossValidationFolds
        if k > 1 {
            var folds: [ClassificationScores] = []
            let q = columns
            for fold in 0..<k {
                // Train on the other folds (copied rows), score on this fold's rows.
                var inCount = 0, outCount = 0
                for i in 0..<n where f.folds[i] != fold {
                    for j in 0..<q { subset[inCount * q + j] = train[i * q + j] }
                    subsetLabels[inCount] = f.trainLabels[i]
                    inCount += 1
                }
                var heldLabels: [Float] = []
                for i in 0..<n where f.folds[i] == fold {
                    for j in 0..<q { test[outCount * q + j] = train[i * q + j] }
                    heldLabels.append(f.trainLabels[i])
                    outCount += 1
                }
                guard inCount > 0, outCount > 0 else { continue }
                let foldFit = fit(subset, labels: subsetLabels, rows: inCount)
                folds.append(ClassificationScores(decisions: decide(foldFit, on: test, rows: outCount), labels: heldLabels))
            }
            cvMean = ProbeWorker.mean(folds)
            cvStd = ProbeWorker.standardDeviation(folds)
        }
        return ProbeCellResult(scores: scores, fit: main, permutation: permutation, permutationPValue: pValue,
                               cvMean: cvMean, cvStd: cvStd)
    }

    static func mean(_ all: [ClassificationScores]) -> ClassificationScores {
        func m(_ key: KeyPath<ClassificationScores, Double>) -> Double {
            all.isEmpty ? .nan : all.reduce(0) { $0 + $1[keyPath: key] } / Double(all.count)
        }
        return ClassificationScores(recall: m(\.recall), balancedAccuracy: m(\.balancedAccuracy),
                                    accuracy: m(\.accuracy), auc: m(\.auc))
    }

    /// Population standard deviation (numpy's default, ddof = 0) over folds.
    static func standardDeviation(_ all: [ClassificationScores]) -> ClassificationScores {
        let mu = mean(all)
        func s(_ key: KeyPath<ClassificationScores, Double>) -> Double {
            guard !all.isEmpty else { return .nan }
            let c = mu[keyPath: key]
            return (all.reduce(0) { $0 + ($1[keyPath: key] - c) * ($1[keyPath: key] - c) } / Double(all.count)).squareRoot()
        }
        return ClassificationScores(recall: s(\.recall), balancedAccuracy: s(\.balancedAccuracy),
                                    accuracy: s(\.accuracy), auc: s(\.auc))
    }
}
