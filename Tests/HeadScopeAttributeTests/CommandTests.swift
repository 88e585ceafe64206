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

    @Test func helpNamesTheStage() throws {
        let help = try TestSupport.run(Self.executable, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--keep-prob") && help.stdout.contains("--baseline"))
    }
}
