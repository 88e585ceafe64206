import HeadScopeCore

/// Which rows of the store each function's probes train and test on (METHODS 1.5).
///
/// Rows are filtered (by default to those the judge marked correct), split into train and test
/// by main question (`item_id`), so no chain has steps on both sides, and then, per function,
/// positives are its rows and negatives an equal number of rows of other functions drawn with
/// the seed. The same rows serve every (layer, head) of a function, so the probes of one
/// function differ only in their features.
public struct ProbeDesign: Sendable, Equatable {
    /// The rows of one function's probes, as indices into the store.
    public struct FunctionRows: Sendable, Equatable {
        public var function: String
        public var trainRows: [Int]
        /// 1 for the function's rows, 0 for the sampled negatives, in `trainRows` order.
        public var trainLabels: [Float]
        public var testRows: [Int]
        public var testLabels: [Float]
        /// Cross-validation fold of each train row (grouped by item), empty without CV.
        public var folds: [Int]
        /// Shuffled copies of `trainLabels`, one per permutation-baseline probe.
        public var permutedLabels: [[Float]]

        public var trainPositives: Int { trainLabels.reduce(0) { $0 + Int($1) } }
        public var testPositives: Int { testLabels.reduce(0) { $0 + Int($1) } }
    }

    public var functions: [FunctionRows]
    /// Rows left after the verdict filter.
    public var keptRows: Int
    public var trainItems: Int
    public var testItems: Int
    /// Where the split came from: `column` or `seeded`.
    public var splitSource: String
    /// Functions dropped for too few rows (with `skipSmallFunctions`).
    public var skippedFunctions: [String]

    /// The largest number of train rows any probe sees.
    public var maxTrainRows: Int { functions.map(\.trainRows.count).max() ?? 0 }

    /// Builds the design from the store's row tables. `storeName` names the store in errors.
    public init(rows: ActivationRows, options: ProbeOptions, storeName: String) throws {
        let n = rows.count
        let kept = (0..<n).filter { options.rowFilter == .all || rows.correct[$0] == 1 }
        guard !kept.isEmpty else {
            throw ProbeError.nothingToTrain(
                detail: "\(storeName) has \(n) rows, \(options.rowFilter == .correct ? "none judged correct" : "none at all")",
                remedy: options.rowFilter == .correct ? "check the judge's verdicts, or pass --rows all" : "run `make extract` first")
        }
        keptRows = kept.count

        // Train/test by item.
        var testItemSet = Set<String>()
        var trainItemSet = Set<String>()
        let useColumn: Bool
        switch options.split {
        case .column:
            guard rows.split != nil else {
                throw ProbeError.badSplit(file: storeName, detail: "the store has no `split` column but --split column was asked for")
            }
            useColumn = true
        case .seeded: useColumn = false
        case .auto: useColumn = rows.split != nil
        }
        var isTest = [Bool](repeating: false, count: n)
        if useColumn, let split = rows.split {
            var sides: [String: String] = [:]
            for r in kept {
                let side = split[r]
                guard side == "train" || side == "test" else {
                    throw ProbeError.badSplit(file: storeName, detail: "row \(r) (item `\(rows.itemIDs[r])`) has split `\(side)`, expected `train` or `test`")
                }
                if let previous = sides[rows.itemIDs[r]], previous != side {
                    throw ProbeError.badSplit(file: storeName, detail: "item `\(rows.itemIDs[r])` has rows in both `train` and `test` (row \(r))")
                }
                sides[rows.itemIDs[r]] = side
                isTest[r] = side == "test"
            }
            splitSource = "column"
        } else {
            var items: [String] = []
            var seen = Set<String>()
            for r in kept where seen.insert(rows.itemIDs[r]).inserted { items.append(rows.itemIDs[r]) }
            var generator = SeededGenerator(seed: options.seed, streams: 1)
            generator.shuffle(&items)
            let testCount = min(items.count, Int((options.testFraction * Double(items.count)).rounded(.up)))
            let testSet = Set(items.prefix(testCount))
            for r in kept { isTest[r] = testSet.contains(rows.itemIDs[r]) }
            splitSource = "seeded"
        }
        for r in kept {
            if isTest[r] { testItemSet.insert(rows.itemIDs[r]) } else { trainItemSet.insert(rows.itemIDs[r]) }
        }
        trainItems = trainItemSet.count
        testItems = testItemSet.count
        guard !testItemSet.isEmpty else {
            throw ProbeError.emptyTestSplit(
                detail: "none of the \(kept.count) kept rows (\(trainItemSet.count) items) is on the test side"
                    + (useColumn ? " of the store's `split` column" : ""),
                remedy: useColumn ? "mark some prepared items `test`, or pass --split seeded" : "raise --test-fraction (now \(options.testFraction))")
        }
        guard !trainItemSet.isEmpty else {
            throw ProbeError.nothingToTrain(detail: "every kept row is on the test side",
                                            remedy: useColumn ? "mark some prepared items `train`, or pass --split seeded" : "lower --test-fraction")
        }

        // Per function: positives, negatives drawn from the other functions' rows.
        let names = Array(Set(kept.map { rows.functions[$0] })).sorted()
        var trainByFunction: [String: [Int]] = [:], testByFunction: [String: [Int]] = [:]
        for r in kept {
            if isTest[r] { testByFunction[rows.functions[r], default: []].append(r) }
            else { trainByFunction[rows.functions[r], default: []].append(r) }
        }
        var result: [FunctionRows] = []
        var skipped: [String] = []
        for (index, name) in names.enumerated() {
            let positives = trainByFunction[name] ?? []
            let testPositives = testByFunction[name] ?? []
            let remedy = "lower --min-train-rows (now \(options.minTrainRows)), gather more data, or pass --skip-small-functions to leave it out"
            if positives.count < options.minTrainRows {
                if options.skipSmallFunctions { skipped.append(name); continue }
                throw ProbeError.tooFewRows(function: name, split: "train", found: positives.count,
                                            minimum: options.minTrainRows, remedy: remedy)
            }
            if testPositives.count < options.minTestRows {
                if options.skipSmallFunctions { skipped.append(name); continue }
                if testPositives.isEmpty {
                    throw ProbeError.emptyTestSplit(detail: "function `\(name)` has no test rows (it has \(positives.count) train rows)",
                                                    remedy: "split differently (--test-fraction, --split) or pass --skip-small-functions")
                }
                throw ProbeError.tooFewRows(function: name, split: "test", found: testPositives.count,
                                            minimum: options.minTestRows, remedy: remedy)
            }
            let f = UInt64(index)
            let otherTrain = kept.filter { !isTest[$0] && rows.functions[$0] != name }
            let otherTest = kept.filter { isTest[$0] && rows.functions[$0] != name }
            guard !otherTrain.isEmpty, !otherTest.isEmpty else {
                throw ProbeError.nothingToTrain(detail: "function `\(name)` has no rows of other functions to draw negatives from on the \(otherTrain.isEmpty ? "train" : "test") side",
                                                remedy: "a probe needs at least two functions")
            }
            var generator = SeededGenerator(seed: options.seed, streams: 2, f)
            let (trainPos, trainNeg) = ProbeDesign.balance(positives, otherTrain, &generator)
            let (testPos, testNeg) = ProbeDesign.balance(testPositives, otherTest, &generator)
            let trainRows = trainPos + trainNeg
            let trainLabels = [Float](repeating: 1, count: trainPos.count) + [Float](repeating: 0, count: trainNeg.count)
            var folds: [Int] = []
            if options.crossValidationFolds > 1 {
                var items: [String] = []
                var seen = Set<String>()
                for r in trainRows where seen.insert(rows.itemIDs[r]).inserted { items.append(rows.itemIDs[r]) }
                guard items.count >= options.crossValidationFolds else {
                    throw ProbeError.tooFewRows(function: name, split: "train item", found: items.count,
                                                minimum: options.crossValidationFolds,
                                                remedy: "lower --cv-folds (now \(options.crossValidationFolds))")
                }
                var foldGenerator = SeededGenerator(seed: options.seed, streams: 3, f)
                foldGenerator.shuffle(&items)
                var foldOf: [String: Int] = [:]
                for (i, item) in items.enumerated() { foldOf[item] = i % options.crossValidationFolds }
                folds = trainRows.map { foldOf[rows.itemIDs[$0]] ?? 0 }
            }
            var permuted: [[Float]] = []
            for j in 0..<options.permutations {
                var permutationGenerator = SeededGenerator(seed: options.seed, streams: 4, f, UInt64(j))
                var labels = trainLabels
                permutationGenerator.shuffle(&labels)
                permuted.append(labels)
            }
            result.append(FunctionRows(function: name, trainRows: trainRows, trainLabels: trainLabels,
                                       testRows: testPos + testNeg,
                                       testLabels: [Float](repeating: 1, count: testPos.count) + [Float](repeating: 0, count: testNeg.count),
                                       folds: folds, permutedLabels: permuted))
        }
        guard !result.isEmpty else {
            throw ProbeError.nothingToTrain(detail: "every function was left out for too few rows (\(skipped.joined(separator: ", ")))",
                                            remedy: "lower --min-train-rows or gather more data")
        }
        functions = result
        skippedFunctions = skipped
    }

    /// Equal numbers of positives and negatives: as many negatives as positives drawn from
    /// `others`, or, when `others` is the smaller, all of them and as many positives.
    static func balance(_ positives: [Int], _ others: [Int],
                        _ generator: inout SeededGenerator) -> ([Int], [Int]) {
        let count = min(positives.count, others.count)
        let negatives = generator.sample(others, count: count).sorted()
        let kept = positives.count > count ? generator.sample(positives, count: count).sorted() : positives
        return (kept, negatives)
    }
}
