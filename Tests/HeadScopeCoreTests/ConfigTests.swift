import Foundation
import Testing
import TestSupport
@testable import HeadScopeCore

private enum ProbeMethod: String, CaseIterable {
    case logistic, linear
}

/// Line numbers below are the 1-based lines of this text.
private let demo = """
name: demo
extract:
  shard_rows: many
  layers: [0, 1, 2]
  method: logstic
  shard_row: 3
probe:
  seed: "42"
  rate: 5
  enabled: yes
  folds: 0
  paths:
    - data/a
    - 7
"""

@Suite struct ConfigTests {
    private func parse(_ text: String, file: String = "pipelines/demo.yaml",
                       base: URL = URL(fileURLWithPath: "/repo")) throws -> ConfigNode {
        try ConfigFile.parse(text, file: file, baseDirectory: base).root
    }

    /// Runs `body` and returns the ConfigError it throws (recording an issue if it does not).
    private func configError(_ body: () throws -> Void) -> ConfigError? {
        do {
            try body()
            Issue.record("expected a ConfigError")
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("expected a ConfigError, got \(error)")
        }
        return nil
    }

    @Test func wrongTypeNamesLineColumnKeyPathExpectedAndFound() throws {
        let root = try parse(demo)
        let extract = try root.mapping("extract")
        let error = try #require(configError { _ = try extract.int("shard_rows") })
        #expect(error.file == "pipelines/demo.yaml")
        #expect(error.line == 3)
        #expect(error.column == 15)
        #expect(error.keyPath == "extract.shard_rows")
        #expect(error.headline == #"pipelines/demo.yaml:3:15: extract.shard_rows: expected an integer, found the string "many""#)
        #expect(error.description.contains("\n 3 |   shard_rows: many\n   |               ^"))

        // A quoted number is a string, not an integer.
        let probe = try root.mapping("probe")
        let quoted = try #require(configError { _ = try probe.int("seed") })
        #expect(quoted.line == 8 && quoted.keyPath == "probe.seed")
        #expect(quoted.message == #"expected an integer, found the string "42""#)

        // A number where a list is expected; a list element of the wrong type.
        let list = try #require(configError { _ = try probe.stringList("rate") })
        #expect(list.line == 9 && list.message == "expected a list, found the integer 5")
        let element = try #require(configError { _ = try probe.stringList("paths") })
        #expect(element.line == 14 && element.column == 7 && element.keyPath == "probe.paths[1]")
        #expect(element.message == "expected a string, found the integer 7")

        // Range checks.
        let range = try #require(configError { _ = try probe.int("folds", in: 1...Int.max) })
        #expect(range.line == 11 && range.message == "expected an integer ≥ 1, found 0")
    }

    @Test func missingKeyPointsAtTheEnclosingKey() throws {
        let root = try parse(demo)
        let extract = try root.mapping("extract")
        let error = try #require(configError { _ = try extract.int("batch_size") })
        #expect(error.line == 2 && error.column == 1)
        #expect(error.keyPath == "extract.batch_size")
        #expect(error.message == "missing required key `batch_size` in `extract` (expected an integer)")

        let top = try #require(configError { _ = try root.mapping("report") })
        #expect(top.keyPath == "report")
        #expect(top.message.contains("missing required key `report` at the top level (expected a mapping)"))

        // A near miss is pointed out.
        let typo = try #require(configError { _ = try extract.int("shard_rowz") })
        #expect(typo.message.contains("(found `shard_rows`: a typo?)"))
    }

    @Test func unknownKeySuggestsClosest() throws {
        let root = try parse(demo)
        let extract = try root.mapping("extract")
        let error = try #require(configError {
            try extract.rejectUnknownKeys(allowed: ["shard_rows", "layers", "method"])
        })
        #expect(error.line == 6 && error.column == 3)
        #expect(error.keyPath == "extract.shard_row")
        #expect(error.message.contains("unknown key `shard_row`; did you mean `shard_rows`?"))
        #expect(error.message.contains("`shard_rows`, `layers`, `method`"))

        let far = try #require(configError { try root.rejectUnknownKeys(allowed: ["name", "extract", "attribution"]) })
        #expect(far.line == 7 && far.keyPath == "probe")
        #expect(!far.message.contains("did you mean"))

        #expect(throws: Never.self) { try root.rejectUnknownKeys(allowed: ["name", "extract", "probe"]) }
    }

    @Test func badEnumListsAllowedValues() throws {
        let extract = try parse(demo).mapping("extract")
        let error = try #require(configError { _ = try extract.enumValue("method", as: ProbeMethod.self) })
        #expect(error.line == 5 && error.column == 11 && error.keyPath == "extract.method")
        #expect(error.message == #"expected one of `logistic`, `linear`, found "logstic" (did you mean `logistic`?)"#)
        #expect(try parse("m: linear").enumValue("m", as: ProbeMethod.self) == .linear)
        #expect(try parse("x: 1").enumValue("m", default: ProbeMethod.logistic) == .logistic)
    }

    @Test func syntaxErrorsGiveFileAndLine() throws {
        let text = "extract:\n  shard_rows: 5\n  method: a: b\n"
        let error = try #require(configError { _ = try parse(text) })
        #expect(error.line == 3)
        #expect(error.headline.hasPrefix("pipelines/demo.yaml:3:"))
        #expect(error.message.hasPrefix("YAML syntax error: "))

        let unclosed = "probe:\n  layers: [1, 2\n  seed: 3\n"
        let second = try #require(configError { _ = try parse(unclosed) })
        #expect(second.line == 3 || second.line == 4)
        #expect(second.message.contains("YAML syntax error"))

        let duplicate = try #require(configError { _ = try parse("a: 1\nb: 2\na: 3\n") })
        #expect(duplicate.line == 3 && duplicate.keyPath == "a")
        #expect(duplicate.message.contains("duplicate key (first given at line 1)"))

        let tab = try #require(configError { _ = try parse("a:\n\t- b\n") })
        #expect(tab.line == 2 && tab.message.contains("tabs"))

        let scalarRoot = try #require(configError { _ = try parse("just text\n") })
        #expect(scalarRoot.message.contains("expected a mapping"))
        let empty = try #require(configError { _ = try parse("# nothing\n") })
        #expect(empty.message.contains("empty"))
    }

    @Test func typedValuesAndDefaults() throws {
        let text = """
        extract:
          shard_rows: 512
          layers: [0, 3, 7]
          scale: 2
          ratio: 0.25
          half: false
          tags: [a, b]
          unset:
        """
        let extract = try parse(text).mapping("extract")
        #expect(try extract.int("shard_rows") == 512)
        #expect(try extract.intList("layers") == [0, 3, 7])
        #expect(try extract.double("scale") == 2)
        #expect(try extract.double("ratio") == 0.25)
        #expect(try extract.bool("half") == false)
        #expect(try extract.stringList("tags") == ["a", "b"])
        #expect(try extract.int("missing", default: 9) == 9)
        #expect(try extract.int("unset", default: 4) == 4)
        #expect(try extract.optionalString("unset") == nil)
        #expect(try extract.optionalDouble("ratio") == 0.25)
        let null = try #require(configError { _ = try extract.int("unset") })
        #expect(null.keyPath == "extract.unset" && null.message.contains("found an empty value"))
        #expect(try extract.string("name", default: "x") == "x")
        let wrongDefaulted = try #require(configError { _ = try extract.bool("ratio", default: true) })
        #expect(wrongDefaulted.message == "expected true or false, found the number 0.25")
        #expect(extract.keys == ["shard_rows", "layers", "scale", "ratio", "half", "tags", "unset"])
        #expect(extract.jsonValue == ["shard_rows": 512, "layers": [0, 3, 7], "scale": 2, "ratio": 0.25,
                                      "half": false, "tags": ["a", "b"], "unset": nil])
    }

    @Test func relativePathsResolveAgainstProjectDirectory() throws {
        let repo = try TestSupport.scratchDirectory("config-paths")
        defer { try? FileManager.default.removeItem(at: repo) }
        let pipelines = repo.appendingPathComponent("pipelines")
        try FileManager.default.createDirectory(at: pipelines, withIntermediateDirectories: true)
        let url = pipelines.appendingPathComponent("demo.yaml")
        try Data("prepare:\n  images: data/demo/images\n  model: /models/x.gguf\n  bad: 3\n".utf8).write(to: url)
        let config = try ConfigFile.load(url)
        #expect(config.baseDirectory.standardizedFileURL.path == repo.standardizedFileURL.path)
        let prepare = try config.root.mapping("prepare")
        #expect(try prepare.path("images").path == repo.appendingPathComponent("data/demo/images").standardizedFileURL.path)
        #expect(try prepare.path("model").path == "/models/x.gguf")
        let bad = try #require(configError { _ = try prepare.path("bad") })
        #expect(bad.file == url.relativePath && bad.line == 4)

        // A config outside a `pipelines` directory resolves against its own directory.
        let loose = repo.appendingPathComponent("elsewhere/run.yaml")
        try FileManager.default.createDirectory(at: loose.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("images: imgs\n".utf8).write(to: loose)
        let looseConfig = try ConfigFile.load(loose)
        #expect(try looseConfig.root.path("images").path
                == repo.appendingPathComponent("elsewhere/imgs").standardizedFileURL.path)

        let missing = try #require(configError { _ = try ConfigFile.load(pipelines.appendingPathComponent("nope.yaml")) })
        #expect(missing.description.contains("nope.yaml"))
        #expect(missing.description.contains("no such config file"))
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "shard_row", among: ["layers", "shard_rows"]) == "shard_rows")
        #expect(Suggestion.closest(to: "lyaers", among: ["layers", "seed"]) == "layers")
        #expect(Suggestion.closest(to: "Shard-Rows", among: ["shard_rows"]) == "shard_rows")
        #expect(Suggestion.closest(to: "xyz", among: ["layers", "seed"]) == nil)
        #expect(Suggestion.closest(to: "x", among: ["y", "z"]) == nil)
        #expect(Suggestion.closest(to: "sed", among: ["seed"]) == "seed")
        #expect(Suggestion.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(Suggestion.editDistance(Array("ab"), Array("ba")) == 1)
    }
}
