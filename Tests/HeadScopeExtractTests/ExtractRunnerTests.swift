import Foundation
import Testing
import TestSupport
import HeadScopeActivations
import HeadScopeQA
@testable import HeadScopeExtract

/// A deterministic stand-in for a model: `z` is a function of the image and the prompt, and the
/// answer is "yes" unless the subquestion asks for a color (then "red"). It can be told to fail
/// after some turns, to simulate a crash mid-run.
final class FakeModel: ChainModel, @unchecked Sendable {
    let layers: Int, heads: Int, headDim: Int
    let failAfter: Int?
    var turns = 0
    var prompts: [String] = []
    let lock = NSLock()

    init(layers: Int = 2, heads: Int = 3, headDim: Int = 4, failAfter: Int? = nil) {
        (self.layers, self.heads, self.headDim, self.failAfter) = (layers, heads, headDim, failAfter)
    }

    var identity: (id: String, sha256: String) { ("fake", "f00d") }
    var geometry: (layers: Int, heads: Int, headDim: Int) { (layers, heads, headDim) }

    func session(image: URL) throws -> any ChainSession { Session(model: self, image: image.lastPathComponent) }

    struct Crash: Error {}

    struct Session: ChainSession {
        let model: FakeModel
        let image: String
        func answer(_ userText: String, positions: PositionPolicy) throws -> AnsweredTurn {
            try model.lock.withLock {   // workers answer concurrently
                if let limit = model.failAfter, model.turns >= limit { throw Crash() }
                model.turns += 1
                model.prompts.append(userText)
            }
            var hash: UInt64 = 1469598103934665603
            for byte in (image + userText).utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
            let width = model.layers * model.heads * model.headDim
            let row = (0..<width).map { Float((hash >> UInt64($0 % 48)) & 0xFF) / 16 - 8 }
            let subquestion = userText.split(separator: "\n").first { $0.hasPrefix("Subquestion:") } ?? ""
            let answer = subquestion.contains("color") ? "red" : "yes"
            let rows = positions == .allTokens ? [row, row.map { $0 + 1 }] : [row]
            return AnsweredTurn(generated: answer + #""}]"#, answerStart: 100, answerLength: 2, z: rows)
        }
    }
}

@Suite struct ExtractRunnerTests {
    /// A prepared dir with `n` items of 3 steps each.
    func prepared(items n: Int) throws -> PreparedDataset {
        let dir = try TestSupport.scratchDirectory("prepared")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        var lines: [String] = []
        for i in 0..<n {
            try Data([UInt8(i)]).write(to: dir.appendingPathComponent("images/img\(i).png"))
            lines.append(#"{"id":"q\#(i)","image_id":"img\#(i)","question":"Is the big one red?","options":{},"final_answer":"yes","source":"test","split":"\#(i % 3 == 0 ? "test" : "train")","steps":[{"subquestion":"What color is the big one?","answer":"\#(i % 2 == 0 ? "red" : "blue")","function":"Low-Level Vision Reception"},{"subquestion":"Is it big?","answer":"yes","function":"High-Level Vision Reception"},{"subquestion":"So is the big one red?","answer":"no","function":"Decision-Making"}],"tags":{}}"#)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("items.jsonl"), atomically: true, encoding: .utf8)
        return try PreparedDataset(directory: dir)
    }

    func settings(_ configure: (inout ExtractRunner.Settings) -> Void = { _ in }) -> ExtractRunner.Settings {
        var s = ExtractRunner.Settings()
        s.itemsPerShard = 2
        configure(&s)
        return s
    }

    func contents(_ store: ActivationStore) throws -> (z: [Float], answers: [String], correct: [Bool], functions: [String]) {
        let reader = try ActivationReader(store: store.directory)
        defer { try? reader.close() }
        return (try reader.rows(0..<reader.rows), try reader.strings("model_answer"), try reader.correct(), try reader.strings("function"))
    }

    @Test func writesJudgedRowsForEveryStep() throws {
        let data = try prepared(items: 5)
        let store = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        let summary = try ExtractRunner(prepared: data, model: FakeModel(), store: store, settings: settings(), progressMode: .silent).run()
        #expect(summary.shardsWritten == 3 && summary.index.isComplete && summary.rowsWritten == 15)
        let c = try contents(store)
        #expect(c.answers.prefix(3) == ["red", "yes", "yes"])
        // Color step right for even items (reference red), wrong for odd; "yes" right for step 2, wrong for step 3.
        #expect(c.correct.prefix(6) == [true, true, false, false, true, false])
        #expect(summary.correctByFunction["Low-Level Vision Reception"]! == (3, 5))
        #expect(c.z.count == 15 * 24)
    }

    @Test func contextPolicyFeedsModelAnswers() throws {
        let data = try prepared(items: 1)
        let model = FakeModel()
        _ = try ExtractRunner(prepared: data, model: model, store: ActivationStore(directory: try TestSupport.scratchDirectory("acts")),
                              settings: settings { $0.contextPolicy = .model }, progressMode: .silent).run()
        #expect(model.prompts[2].contains("- What color is the big one? red\n- Is it big? yes"))
        let gold = FakeModel()
        _ = try ExtractRunner(prepared: data, model: gold, store: ActivationStore(directory: try TestSupport.scratchDirectory("acts")),
                              settings: settings { $0.contextPolicy = .gold }, progressMode: .silent).run()
        #expect(gold.prompts[2].contains("- What color is the big one? red\n- Is it big? yes"))
        #expect(!gold.prompts[0].contains("Known so far"))
    }

    @Test func resumeAfterACrashEqualsAnUninterruptedRun() throws {
        let data = try prepared(items: 7)
        let reference = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        _ = try ExtractRunner(prepared: data, model: FakeModel(), store: reference, settings: settings(), progressMode: .silent).run()

        let store = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        #expect(throws: FakeModel.Crash.self) {
            try ExtractRunner(prepared: data, model: FakeModel(failAfter: 10), store: store, settings: settings(), progressMode: .silent).run()
        }
        #expect(try store.presentShards(count: 4) == [0])   // 10 turns: shard 0 (6 turns) done, shard 1 cut
        let resumed = FakeModel()
        let summary = try ExtractRunner(prepared: data, model: resumed, store: store, settings: settings(), progressMode: .silent).run()
        #expect(summary.shardsSkipped == 1 && summary.shardsWritten == 3)
        #expect(resumed.turns == 15)   // only the 5 missing items were redone
        let a = try contents(reference), b = try contents(store)
        #expect(a.z == b.z && a.answers == b.answers && a.correct == b.correct && a.functions == b.functions)
    }

    @Test func processesSplitTheWorkAndMergeToTheSameStore() throws {
        let data = try prepared(items: 5)
        let single = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        _ = try ExtractRunner(prepared: data, model: FakeModel(), store: single, settings: settings(), progressMode: .silent).run()
        let split = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        let first = try ExtractRunner(prepared: data, model: FakeModel(), store: split,
                                      settings: settings { $0.processIndex = 0; $0.processCount = 2 }, progressMode: .silent).run()
        #expect(first.index.missing == [1])
        let second = try ExtractRunner(prepared: data, model: FakeModel(), store: split,
                                       settings: settings { $0.processIndex = 1; $0.processCount = 2 }, progressMode: .silent).run()
        #expect(second.index.isComplete)
        let a = try contents(single), b = try contents(split)
        #expect(a.z == b.z && a.answers == b.answers)
    }

    @Test func workersWriteTheSameStoreAsOneWorker() throws {
        let data = try prepared(items: 9)
        let single = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        _ = try ExtractRunner(prepared: data, model: FakeModel(), store: single, settings: settings(), progressMode: .silent).run()
        let parallel = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        let model = FakeModel()
        let summary = try ExtractRunner(prepared: data, model: model, store: parallel,
                                        settings: settings { $0.workers = 3 }, progressMode: .silent).run()
        #expect(summary.shardsWritten == 5 && summary.rowsWritten == 27 && summary.index.isComplete)
        #expect(model.turns == 27)
        #expect(summary.correctByFunction["Low-Level Vision Reception"]! == (5, 9))
        let a = try contents(single), b = try contents(parallel)
        #expect(a.z == b.z && a.answers == b.answers && a.correct == b.correct && a.functions == b.functions)
    }

    @Test func aFailingWorkerStopsTheRunAndFinishedShardsResume() throws {
        let data = try prepared(items: 9)
        let store = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        #expect(throws: FakeModel.Crash.self) {
            try ExtractRunner(prepared: data, model: FakeModel(failAfter: 14), store: store,
                              settings: settings { $0.workers = 2 }, progressMode: .silent).run()
        }
        let kept = try store.presentShards(count: 5)
        #expect(kept.count < 5)
        let resumed = FakeModel()
        let summary = try ExtractRunner(prepared: data, model: resumed, store: store,
                                        settings: settings { $0.workers = 2 }, progressMode: .silent).run()
        #expect(summary.shardsSkipped == kept.count && summary.index.isComplete)
        #expect(resumed.turns == 27 - 6 * kept.count + (kept.contains(4) ? 3 : 0))
        let reference = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        _ = try ExtractRunner(prepared: data, model: FakeModel(), store: reference, settings: settings(), progressMode: .silent).run()
        let a = try contents(reference), b = try contents(store)
        #expect(a.z == b.z && a.answers == b.answers)
    }

    @Test func resumingWithAnotherGeometryIsRefused() throws {
        let data = try prepared(items: 4)
        let store = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        _ = try? ExtractRunner(prepared: data, model: FakeModel(failAfter: 7), store: store, settings: settings(), progressMode: .silent).run()
        #expect { try ExtractRunner(prepared: data, model: FakeModel(heads: 5), store: store, settings: settings(), progressMode: .silent).run() }
            throws: { "\($0)".contains("num_heads: 3 vs 5") && "\($0)".contains("start over") }
        #expect(try store.presentShards(count: 2) == [0])
    }

    @Test func allTokensPolicyWritesOneRowPerToken() throws {
        let data = try prepared(items: 1)
        let store = ActivationStore(directory: try TestSupport.scratchDirectory("acts"))
        let summary = try ExtractRunner(prepared: data, model: FakeModel(), store: store,
                                        settings: settings { $0.positions = .allTokens }, progressMode: .silent).run()
        #expect(summary.rowsWritten == 6)
        let reader = try ActivationReader(store: store.directory)
        #expect(try reader.ints("token_index") == [0, 1, 0, 1, 0, 1])
        #expect(reader.attributes.positionPolicy == "all-tokens")
    }

    @Test func badPreparedInputIsExplained() throws {
        let dir = try TestSupport.scratchDirectory("prepared")
        #expect { try PreparedDataset(directory: dir) } throws: { "\($0)".contains("make prepare") }
        try "{\"id\": 3}\n".write(to: dir.appendingPathComponent("items.jsonl"), atomically: true, encoding: .utf8)
        #expect { try PreparedDataset(directory: dir) } throws: { "\($0)".contains("items.jsonl:1") }
    }
}
