import Foundation
import Testing
import TestSupport
import HeadScopeActivations

/// The real `headscope-prepare` and `headscope-extract` on CogShapes scenes and a tiny random
/// LLaVA checkpoint (the engine's CLIP + Llama fixture with the runtime fixture's tokenizer).
@Suite("headscope-extract", .serialized)
struct ExtractExecutableTests {
    static func executable(_ name: String) -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return TestSupport.repositoryRoot.appendingPathComponent(".build/debug/\(name)")
    }

    /// A scratch directory with `model/` (tiny LLaVA) and `prepared/` (6 CogShapes scenes).
    static func workspace() throws -> URL {
        let root = try TestSupport.scratchDirectory("extract-e2e")
        let model = root.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let fixtures = TestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("engine/llava_clip_llama/\(name)"),
                                             to: model.appendingPathComponent(name))
        }
        for name in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "preprocessor_config.json"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("runtime/llava/\(name)"),
                                             to: model.appendingPathComponent(name))
        }
        let prepare = try TestSupport.run(executable("headscope-prepare"), [
            "--generate", "cogshapes", "--seed", "3", "--count", "4", "--output", root.appendingPathComponent("prepared").path,
        ], environment: ["HEADSCOPE_PROGRESS": "off"])
        guard prepare.status == 0 else { throw TestSupportError("headscope-prepare failed: \(prepare.stderr)") }
        return root
    }

    static func extract(_ root: URL, into output: String, _ extra: [String] = []) throws -> TestSupport.ProcessResult {
        try TestSupport.run(executable("headscope-extract"), [
            "--prepared", root.appendingPathComponent("prepared").path, "--output", root.appendingPathComponent(output).path,
            "--model", root.appendingPathComponent("model").path, "--items-per-shard", "2", "--limit", "6",
            "--max-new-tokens", "4",
        ] + extra, environment: ["HEADSCOPE_PROGRESS": "off"])
    }

    /// Everything a collaborator would read from the store, for exact comparison.
    static func contents(_ directory: URL) throws -> [String] {
        let reader = try ActivationReader(store: directory)
        defer { try? reader.close() }
        var out = try ["item_id", "function", "model_answer", "raw_output", "reference_answer", "split"].map {
            try reader.strings($0).joined(separator: "|")
        }
        out.append(try reader.correct().map { $0 ? "1" : "0" }.joined())
        out.append(try reader.rows(0..<reader.rows).map { String($0.bitPattern) }.joined(separator: ","))
        return out
    }

    @Test func killedRunsResumeToTheSameStoreAndShardedRunsMergeToIt() throws {
        let root = try Self.workspace()
        let clean = try Self.extract(root, into: "clean")
        #expect(clean.status == 0, "\(clean.stderr)")
        let reference = try Self.contents(root.appendingPathComponent("clean"))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("clean/manifest.json").path))

        // Kill -9 at several points, then let it finish.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3 {
            let process = Process()
            process.executableURL = Self.executable("headscope-extract")
            process.arguments = ["--prepared", root.appendingPathComponent("prepared").path,
                                 "--output", root.appendingPathComponent("killed").path,
                                 "--model", root.appendingPathComponent("model").path,
                                 "--items-per-shard", "2", "--limit", "6", "--max-new-tokens", "4"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 300_000...1_500_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let resumed = try Self.extract(root, into: "killed")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.contents(root.appendingPathComponent("killed")) == reference)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("killed/shards").path)
        #expect(leftovers.allSatisfy { !$0.hasPrefix(".") }, "\(leftovers)")

        // Two processes, then a merge.
        let first = try Self.extract(root, into: "split", ["--shard-index", "0", "--shard-count", "2"])
        #expect(first.status == 0 && first.stdout.contains("missing shards: 1"), "\(first.stdout)\(first.stderr)")
        let second = try Self.extract(root, into: "split", ["--shard-index", "1", "--shard-count", "2"])
        #expect(second.status == 0, "\(second.stderr)")
        let merged = try Self.extract(root, into: "split", ["--merge"])
        #expect(merged.stdout.contains("complete"), "\(merged.stdout)")
        #expect(try Self.contents(root.appendingPathComponent("split")) == reference)

        // A collaborator opens the index with h5py.
        let reader = try ActivationReader(store: root.appendingPathComponent("clean"))
        let layer = try reader.layer(1)
        let check = try TestSupport.python("""
        import sys, h5py
        f = h5py.File(sys.argv[1], "r")
        z = f["z"]
        print(z.shape, z.dtype, f.attrs["schema_version"], f.attrs["num_layers"], f.attrs["position_policy"])
        print(repr(float(z[0, 1, 0, 0])), f["function"].asstr()[0], int(f["correct"].shape[0]))
        """, [root.appendingPathComponent("clean/index.h5").path])
        let lines = check.split(separator: "\n").map(String.init)
        let g = (reader.attributes.layers, reader.attributes.heads, reader.attributes.headDim)
        #expect(lines[0] == "(\(reader.rows), \(g.0), \(g.1), \(g.2)) float32 headscope-activations/1 \(g.0) mean")
        #expect(lines[1].hasPrefix("\(Double(layer[0])) "))
        try reader.close()

        // Resuming with other settings is refused and leaves the shards alone.
        let clash = try Self.extract(root, into: "clean", ["--positions", "last-prompt"])
        #expect(clash.status != 0 && clash.stderr.contains("position_policy"), "\(clash.stderr)")
        #expect(try Self.contents(root.appendingPathComponent("clean")) == reference)
    }

    @Test func badInputIsExplained() throws {
        let root = try TestSupport.scratchDirectory("extract-bad")
        let noPrepared = try TestSupport.run(Self.executable("headscope-extract"), [
            "--prepared", root.appendingPathComponent("nope").path, "--output", root.appendingPathComponent("out").path,
        ])
        #expect(noPrepared.status != 0 && noPrepared.stderr.contains("make prepare"), "\(noPrepared.stderr)")
        let noArgs = try TestSupport.run(Self.executable("headscope-extract"), [])
        #expect(noArgs.status != 0 && noArgs.stderr.contains("--config"), "\(noArgs.stderr)")
    }
}
