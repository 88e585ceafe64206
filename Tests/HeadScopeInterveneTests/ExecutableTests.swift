import Foundation
import Testing
import TestSupport

@Suite("headscope-intervene executable")
struct ExecutableTests {
    /// The built executable next to the test bundle (same build directory).
    var executable: URL {
        get throws {
            var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            for _ in 0..<6 {
                url = url.deletingLastPathComponent()
                let candidate = url.appendingPathComponent("headscope-intervene")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            let fallback = TestSupport.repositoryRoot.appendingPathComponent(".build/debug/headscope-intervene")
            guard FileManager.default.isExecutableFile(atPath: fallback.path) else {
                throw TestSupportError("headscope-intervene is not built: run `swift build --build-tests`")
            }
            return fallback
        }
    }

    @Test("bad flags stop with a message naming the flag and a non-zero status")
    func badFlags() throws {
        let world = try TestWorld()
        let common = ["--prepared", world.prepared.path, "--probes", world.probes.path, "--output", world.output.path,
                      "--model", "builtin"]
        let cases: [([String], String)] = [
            (["--ablation", "halve"], "--ablation halve is not one of scale, zero, mean"),
            (["--hierarchy", "Low"], "--hierarchy Low is not LOW>HIGH"),
            (["--latent-ranks", "5-2"], "--latent-ranks 5-2 is not a rank range"),
            (["--alphas", "1,x"], "--alphas: `x` is not a number"),
        ]
        for (flags, message) in cases {
            let result = try TestSupport.run(executable, common + flags)
            #expect(result.status != 0)
            #expect(result.stderr.contains("error: " + message), "\(result.stderr)")
        }
    }

    @Test("--help documents the stage")
    func help() throws {
        let result = try TestSupport.run(executable, ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--latent-ranks") && result.stdout.contains("--hierarchy"))
    }
}
