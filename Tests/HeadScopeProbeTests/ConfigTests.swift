import Foundation
import HeadScopeCore
import Testing
@testable import HeadScopeProbe

/// The `probe:` section of a pipeline config.
@Suite struct ConfigTests {
    static func parse(_ text: String) throws -> ConfigNode {
        let file = try ConfigFile.parse(text, file: "pipelines/test.yaml", baseDirectory: URL(fileURLWithPath: "/tmp"))
        return try file.root.mapping("probe")
    }

    @Test func readsEverySettingAndKeepsDefaults() throws {
        let options = try ProbeOptions(config: Self.parse("""
            probe:
              rows: all
              split: seeded
              test_fraction: 0.25
              features: z
              seed: 7
              c: 0.5
              cv_folds: 5
              permutations: 3
              rank_by: balanced_accuracy
              top_k: 12
              threshold: 0.9
            """))
        #expect(options.rowFilter == .all && options.split == .seeded && options.testFraction == 0.25)
        #expect(options.features == .z && options.seed == 7 && options.logistic.c == 0.5)
        #expect(options.crossValidationFolds == 5 && options.permutations == 3)
        #expect(options.rankBy == .balancedAccuracy && options.topK == 12 && options.threshold == 0.9)
        #expect(options.topRatio == 0.1 && options.minTrainRows == 10)   // defaults kept
    }

    @Test func refusesUnknownKeysAndBadValuesWithTheLine() throws {
        do {
            _ = try ProbeOptions(config: Self.parse("probe:\n  seed: 1\n  rank: auc\n"))
            Issue.record("an unknown key was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("pipelines/test.yaml") && text.contains("3") && text.contains("rank_by"), "\(text)")
        }
        do {
            _ = try ProbeOptions(config: Self.parse("probe:\n  features: z-mean\n"))
            Issue.record("a bad enum value was accepted")
        } catch {
            #expect("\(error)".contains("z-and-layer-mean"), "\(error)")
        }
    }
}
