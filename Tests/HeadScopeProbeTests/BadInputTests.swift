import Foundation
import HeadScopeCore
import Testing
import TestSupport
@testable import HeadScopeProbe

/// Inputs the stage must refuse with a message that says what is wrong and what to do, leaving
/// any earlier output untouched.
@Suite struct BadInputTests {
    static func small(functions: [String] = ["A", "B", "C"], items: Int = 40) -> SyntheticStore {
        SyntheticStore.planted(functions: functions, planted: functions.indices.map { ($0 % 2, $0 % 2) },
                               items: items, layers: 2, heads: 2, headDim: 4, signal: 2)
    }

    static func run(_ store: SyntheticStore, options: ProbeOptions = ProbeOptions(), shards: Int = 2,
                    withSplit: Bool = true, prepare: ((URL) throws -> Void)? = nil) throws -> (any Error)? {
        let directory = try TestSupport.scratchDirectory("probe-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let activations = directory.appendingPathComponent("activations")
        try store.write(to: activations, shards: shards, withSplit: withSplit)
        try prepare?(activations)
        do {
            try ProbeStage(activations: activations, output: directory.appendingPathComponent("probes"),
                           options: options, figures: false, progressMode: .silent).run()
            return nil
        } catch {
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("probes").path),
                    "a refused run must not leave an output directory")
            return error
        }
    }

    @Test func refusesAnotherSchemaVersion() throws {
        var store = Self.small()
        store.schemaVersion = "headscope-activations/2"
        let error = try Self.run(store)
        guard case .unsupportedSchema(_, let found, let expected)? = error as? ProbeError else {
            Issue.record("expected unsupportedSchema, got \(String(describing: error))"); return
        }
        #expect(found == "headscope-activations/2" && expected == "headscope-activations/1")
        let text = "\(error!)"
        #expect(text.contains("index.h5") && text.contains("headscope-activations/2") && text.contains("make extract"), "\(text)")
    }

    @Test func refusesAFunctionWithTooFewRows() throws {
        // "Rare" appears in only 4 items: 3 train rows at most, fewer than the minimum of 10.
        var store = Self.small()
        for i in 0..<4 { store.rows[i * 3].function = "Rare" }
        let error = try Self.run(store)
        guard case .tooFewRows(let function, let split, let found, let minimum, _)? = error as? ProbeError else {
            Issue.record("expected tooFewRows, got \(String(describing: error))"); return
        }
        #expect(function == "Rare" && split == "train" && found < 10 && minimum == 10)
        let text = "\(error!)"
        #expect(text.contains("`Rare` has \(found) train row(s), at least 10 are needed") && text.contains("--skip-small-functions"), "\(text)")

        // With --skip-small-functions it is left out and the rest is probed.
        var options = ProbeOptions()
        options.skipSmallFunctions = true
        options.permutations = 0
        #expect(try Self.run(store, options: options) == nil)
    }

    @Test func refusesAnEmptyTestSplit() throws {
        var store = Self.small()
        for i in store.rows.indices { store.rows[i].split = "train" }
        let error = try Self.run(store)
        guard case .emptyTestSplit? = error as? ProbeError else {
            Issue.record("expected emptyTestSplit, got \(String(describing: error))"); return
        }
        #expect("\(error!)".contains("--split seeded"), "\(error!)")
        // A seeded split by item fixes it.
        var options = ProbeOptions()
        options.split = .seeded
        options.permutations = 0
        #expect(try Self.run(store, options: options) == nil)
    }

    @Test func refusesAnItemOnBothSides() throws {
        var store = Self.small()
        store.rows[0].split = "test"
        store.rows[1].split = "train"
        let error = try Self.run(store)
        guard case .badSplit(_, let detail)? = error as? ProbeError else {
            Issue.record("expected badSplit, got \(String(describing: error))"); return
        }
        #expect(detail.contains("item-0") && detail.contains("both"), "\(detail)")
    }

    @Test func refusesMissingShardsAndMissingStores() throws {
        let error = try Self.run(Self.small(), shards: 3) { activations in
            try FileManager.default.removeItem(at: activations.appendingPathComponent("shards/shard-00001-of-00003.h5"))
        }
        guard case .missingShards(_, let shards)? = error as? ProbeError else {
            Issue.record("expected missingShards, got \(String(describing: error))"); return
        }
        #expect(shards.count == 1 && shards[0].hasSuffix("shard-00001-of-00003.h5"))

        let nowhere = try TestSupport.scratchDirectory("probe-none")
        defer { try? FileManager.default.removeItem(at: nowhere) }
        #expect(throws: ProbeError.self) {
            try ProbeStage(activations: nowhere.appendingPathComponent("activations"),
                           output: nowhere.appendingPathComponent("probes"), progressMode: .silent).run()
        }
    }

    @Test func refusesNoCorrectRows() throws {
        var store = Self.small()
        for i in store.rows.indices { store.rows[i].correct = 0 }
        let error = try Self.run(store)
        guard case .nothingToTrain(let detail, let remedy)? = error as? ProbeError else {
            Issue.record("expected nothingToTrain, got \(String(describing: error))"); return
        }
        #expect(detail.contains("none judged correct") && remedy.contains("--rows all"))
    }

    @Test func refusesOptionsOutOfRange() {
        var options = ProbeOptions()
        options.testFraction = 1.5
        #expect(throws: ProbeError.invalidOption(name: "test-fraction", value: "1.5",
                                                 expected: "a number between 0 and 1 (exclusive)")) {
            try options.validate()
        }
        options = ProbeOptions()
        options.crossValidationFolds = 1
        #expect(throws: ProbeError.self) { try options.validate() }
    }

    @Test func seededSplitKeepsChainsOnOneSide() throws {
        let store = Self.small(items: 50)
        let rows = ActivationRows(itemIDs: store.rows.map(\.item), functions: store.rows.map(\.function),
                                  correct: store.rows.map(\.correct))
        var options = ProbeOptions()
        options.permutations = 0
        let design = try ProbeDesign(rows: rows, options: options, storeName: "synthetic")
        #expect(design.splitSource == "seeded")
        #expect(design.testItems == 10 && design.trainItems == 40)
        for f in design.functions {
            let trainItems = Set(f.trainRows.map { rows.itemIDs[$0] })
            let testItems = Set(f.testRows.map { rows.itemIDs[$0] })
            #expect(trainItems.isDisjoint(with: testItems), "\(f.function): an item on both sides")
            #expect(f.trainPositives * 2 == f.trainRows.count, "\(f.function): unbalanced train")
            #expect(f.trainRows.allSatisfy { rows.correct[$0] == 1 }, "\(f.function): a wrong row kept")
            #expect(zip(f.trainRows, f.trainLabels).allSatisfy { ($1 == 1) == (rows.functions[$0] == f.function) })
        }
        // Same seed, same design; another seed, another split.
        #expect(try ProbeDesign(rows: rows, options: options, storeName: "synthetic") == design)
        options.seed = 7
        #expect(try ProbeDesign(rows: rows, options: options, storeName: "synthetic") != design)
    }
}
