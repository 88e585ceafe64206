import Foundation
import HeadScopeArchive
import HeadScopeCore
import Testing
import TestSupport
@testable import HeadScopePrepare

@Suite(.serialized) struct ConfigAndArchiveWriterTests {
    @Test func shippedPipelinesAndTaxonomiesLoad() throws {
        let pipelines = TestSupport.repositoryRoot.appendingPathComponent("pipelines")
        let names = try FileManager.default.contentsOfDirectory(atPath: pipelines.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.contains("cogshapes.yaml"))
        for name in names {
            let file = try ConfigFile.load(pipelines.appendingPathComponent(name))
            guard file.root["prepare"] != nil else { continue }
            let config = try PrepareConfig.load(file)
            let stem = (name as NSString).deletingPathExtension
            #expect(config.output.path == TestSupport.repositoryRoot.appendingPathComponent("runs/\(stem)/prepared").standardizedFileURL.path)
        }
        let cogshapes = try PrepareConfig.load(try ConfigFile.load(pipelines.appendingPathComponent("cogshapes.yaml")))
        #expect(cogshapes.generate == GenerateSettings(dataset: "cogshapes", seed: 7, count: 300,
            archive: TestSupport.repositoryRoot.appendingPathComponent("runs/cogshapes/source/cogshapes-s7-n300.tar.gz").standardizedFileURL))
        for name in try FileManager.default.contentsOfDirectory(atPath: pipelines.appendingPathComponent("taxonomies").path) {
            let taxonomy = try Taxonomy.load(from: pipelines.appendingPathComponent("taxonomies/\(name)"))
            #expect(!taxonomy.labels.isEmpty)
        }
    }

    @Test func configDefaultsAndErrors() throws {
        let base = URL(fileURLWithPath: "/project")
        let good = try ConfigFile.parse("prepare:\n  input: data/x.zip\n  llm:\n    url: http://h:1/v1\n    model: m\n  format: vqa\n",
                                        file: "p.yaml", url: URL(fileURLWithPath: "/project/pipelines/p.yaml"), baseDirectory: base)
        let config = try PrepareConfig.load(good)
        #expect(config.input.path == "/project/data/x.zip")
        #expect(config.output.path == "/project/runs/p/prepared")
        #expect(config.llmCache.path == "/project/runs/p/llm-cache")
        #expect(config.llm?.completionsURL.absoluteString == "http://h:1/v1/chat/completions")
        #expect(config.llm?.maxAttempts == 3)
        for (text, fragment) in [
            ("prepare:\n  input: x\n  format: coco\n", "coco"),
            ("prepare:\n  input: x\n  format: vqa\n", "llm"),
            ("prepare:\n  input: x\n  format: clevr\n", "scenes"),
            ("prepare:\n  generate: {dataset: cogshapes, seed: 1, count: 2}\n  input: x\n", "either"),
            ("prepare:\n  input: x\n  llm: {url: ftp://x, model: m}\n", "http"),
        ] {
            let file = try ConfigFile.parse(text, file: "p.yaml", baseDirectory: base)
            #expect(throws: (any Error).self) { try PrepareConfig.load(file) }
            do { _ = try PrepareConfig.load(file) } catch {
                #expect(String(describing: error).contains(fragment), "\(error)")
                #expect(String(describing: error).contains("p.yaml:"), "\(error)")
            }
        }
    }

    @Test func archiveWriterIsReproducibleAndReadableByPython() throws {
        let dir = try TestSupport.scratchDirectory("archive-writer")
        func write(_ name: String) throws -> Data {
            let url = dir.appendingPathComponent(name)
            let writer = try ArchiveWriter(creating: url, format: .tarGzip)
            try writer.addDirectory("images")
            try writer.addFile("images/a.bin", data: Data([0, 1, 2, 255]))
            try writer.addFile("notes/ü.txt", data: Data("hello\n".utf8))
            try writer.finish()
            return try Data(contentsOf: url)
        }
        let first = try write("one.tar.gz")
        sleep(1) // a timestamp anywhere would now differ
        let second = try write("two.tar.gz")
        #expect(first == second)
        #expect(first.count > 10 && first[4..<8] == Data([0, 0, 0, 0])) // no gzip mtime
        let listing = try TestSupport.python("""
        import sys, tarfile
        with tarfile.open(sys.argv[1]) as t:
            for m in t.getmembers():
                data = t.extractfile(m).read() if m.isfile() else b""
                print(m.name, m.type.decode() if m.type else "0", m.mtime, m.uid, data.hex())
        """, [dir.appendingPathComponent("one.tar.gz").path])
        #expect(listing.split(separator: "\n") == ["images 5 0 0 ", "images/a.bin 0 0 0 000102ff", "notes/ü.txt 0 0 0 68656c6c6f0a"])
        let writer = try ArchiveWriter(creating: dir.appendingPathComponent("bad.tar"), format: .tar)
        #expect(throws: ArchiveError.self) { try writer.addFile("../x", data: Data()) }
        #expect(throws: ArchiveError.self) { try writer.addFile("/etc/x", data: Data()) }
    }
}
