import Foundation
import Testing
import TestSupport

/// The real `headscope-attribute` executable: option checking and failure messages.
@Suite struct CommandTests {
    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent("headscope-attribute")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return TestSupport.repositoryRoot.appendingPathComponent(".build/debug/headscope-attribute")
    }()

    @Test func badOptionsFailWithAMessage() throws {
        let bad = try TestSupport.run(Self.executable, ["--prepared", "p", "--output", "o", "--fit", "magic"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--fit magic"))
        let few = try TestSupport.run(Self.executable, ["--prepared", "p", "--output", "o", "--masks", "2"])
        #expect(few.status != 0)
        #expect(few.stderr.contains("masks = 2"))
    }

    @Test func inputsAreCheckedBeforeTheModelLoads() throws {
        let missing = try TestSupport.run(Self.executable, ["--prepared", "/nonexistent/prepared", "--output", "/nonexistent/o"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/prepared"))
        #expect(!missing.stderr.contains("RuntimeLoader"))
        // With a good prepared/ the command gets as far as loading the model.
        let prepared = try StageTests.prepared()
        let output = prepared.deletingLastPathComponent().appendingPathComponent("attribution")
        let noModel = try TestSupport.run(Self.executable, ["--prepared", prepared.path, "--output", output.path, "--masks", "20",
                                                            "--model", "/nonexistent/model"])
        #expect(noModel.status != 0)
        #expect(noModel.stderr.contains("/nonexistent/model") && noModel.stderr.contains("no model folder"), "\(noModel.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
    }

    @Test func helpNamesTheStage() throws {
        let help = try TestSupport.run(Self.executable, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--keep-prob") && help.stdout.contains("--baseline"))
    }
}
