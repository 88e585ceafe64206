import Foundation
import HeadScopeCore
import HeadScopeIntervene
import Testing
import TestSupport

@Suite("The `intervene:` section of a pipeline config")
struct SettingsConfigTests {
    func settings(_ yaml: String) throws -> InterventionSettings {
        let file = try ConfigFile.parse(yaml, file: "pipelines/test.yaml", baseDirectory: URL(fileURLWithPath: "/tmp"))
        return try InterventionSettings(config: try file.root.mapping("intervene"))
    }

    @Test("keys set the settings; absent keys keep the defaults")
    func keys() throws {
        let s = try settings("""
        intervene:
          functions: [Math Reasoning, Inference]
          ablation: mean
          positions: all
          random_seeds: [1, 2]
          alphas: [0.5, 1, 2]
          latent_ranks: 21-40
          hierarchy: [Low-Level Vision Reception>Inference, auto]
          bootstrap_samples: 200
        """)
        #expect(s.functions == ["Math Reasoning", "Inference"])
        #expect(s.ablation == .mean && s.positions == .all && s.randomSeeds == [1, 2])
        #expect(s.alphas == [0.5, 1, 2] && s.latentRanks == 21...40)
        #expect(s.hierarchy == [.init(low: "Low-Level Vision Reception", high: "Inference")] && s.hierarchyAuto)
        #expect(s.bootstrapSamples == 200)
        #expect(s.scale == 1e-4 && s.headSet == .top && s.testSplit == "test" && s.seed == 42)
        #expect(try settings("intervene:\n  latent_ranks: [3, 4]\n").latentRanks == 3...4)
    }

    @Test("unknown keys and bad values name the file, line and key")
    func refusals() throws {
        #expect(throws: (any Error).self) { try settings("intervene:\n  ablatoin: zero\n") }
        do {
            _ = try settings("intervene:\n  scale: 1\n  ablatoin: zero\n")
        } catch {
            let text = String(describing: error)
            #expect(text.contains("pipelines/test.yaml") && text.contains(":3") && text.contains("did you mean `ablation`"), "\(text)")
        }
        do {
            _ = try settings("intervene:\n  hierarchy: [Low]\n")
            Issue.record("accepted a pair without >")
        } catch {
            #expect(String(describing: error).contains("expected LOW>HIGH"))
        }
    }

    @Test("the demo pipelines' sections load; paths default to runs/<pipeline>/ and the extract model")
    func demoPipelines() throws {
        for name in ["cogshapes-demo", "cogshapes-demo-small"] {
            let url = TestSupport.repositoryRoot.appendingPathComponent("pipelines/\(name).yaml")
            let file = try ConfigFile.load(url)
            let section = try #require(try file.root.optionalMapping("intervene"))
            let s = try InterventionSettings(config: section)
            try s.validate()
            #expect(s.hierarchyAuto)
            let paths = try InterventionPaths.load(file)
            #expect(paths.model == "builtin")
            #expect(paths.output.path.hasSuffix("runs/\(name)/interventions") && paths.probes.path.hasSuffix("runs/\(name)/probes"))
        }
    }

    @Test("settings survive the JSON the manifest records")
    func roundTrip() throws {
        var s = InterventionSettings()
        s.latentRanks = 5...9
        s.hierarchy = [.init(low: "A", high: "B")]
        s.meanSplit = "train"
        let decoded = try JSONDecoder().decode(InterventionSettings.self, from: JSONEncoder().encode(s))
        #expect(decoded == s)
    }
}
