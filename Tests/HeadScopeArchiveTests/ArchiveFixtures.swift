import Foundation
import TestSupport

/// Archives built by the tests with independent tools: GNU tar and zip for ordinary trees, and
/// Python's tarfile/zipfile for hostile entries the CLIs refuse to write.
enum ArchiveFixtures {
    /// One member of a hand-made archive.
    struct Member: Encodable {
        enum Kind: String, Encodable { case file, dir, symlink, hardlink, fifo, chardev }
        var name: String
        var kind: Kind = .file
        var text: String = ""
        var link: String = ""

        static func file(_ name: String, _ text: String) -> Member { Member(name: name, text: text) }
        static func dir(_ name: String) -> Member { Member(name: name, kind: .dir) }
        static func symlink(_ name: String, to link: String) -> Member { Member(name: name, kind: .symlink, link: link) }
        static func hardlink(_ name: String, to link: String) -> Member { Member(name: name, kind: .hardlink, link: link) }
        static func fifo(_ name: String) -> Member { Member(name: name, kind: .fifo) }
    }

    /// Writes `members` in order with Python's tarfile (format "tar", "tar.gz") or zipfile ("zip",
    /// files and directories only). tarfile keeps names exactly as given, `..` and leading `/`
    /// included.
    static func python(_ members: [Member], format: String, at url: URL) throws {
        let spec = String(decoding: try JSONEncoder().encode(members), as: UTF8.self)
        try TestSupport.python(#"""
import io, json, sys, tarfile, zipfile
members = json.loads(sys.argv[1]); fmt = sys.argv[2]; out = sys.argv[3]
if fmt == "zip":
    with zipfile.ZipFile(out, "w") as z:
        for m in members:
            info = zipfile.ZipInfo(m["name"] + ("/" if m["kind"] == "dir" else ""))
            z.writestr(info, m["text"].encode())
    sys.exit(0)
kinds = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
         "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "chardev": tarfile.CHRTYPE}
with tarfile.open(out, "w:gz" if fmt == "tar.gz" else "w", format=tarfile.PAX_FORMAT) as t:
    for m in members:
        info = tarfile.TarInfo(m["name"])
        info.type = kinds[m["kind"]]
        info.mode = 0o755 if m["kind"] == "dir" else 0o644
        data = m["text"].encode()
        if m["kind"] in ("symlink", "hardlink"):
            info.linkname = m["link"]
        if m["kind"] == "file":
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        else:
            t.addfile(info)
"""#, [spec, format, url.path])
    }

    /// A tree with nested directories, binary and empty files, an executable and an inner
    /// symbolic link. Returns the relative paths of its regular files.
    @discardableResult
    static func makeTree(at root: URL) throws -> [String] {
        let fm = FileManager.default
        var files: [String] = []
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func bytes(_ count: Int) -> Data {
            Data((0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 33)
            })
        }
        for dir in ["a", "a/b", "a/b/c", "empty-dir", "d e"] {
            try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        let contents: [(String, Data)] = [
            ("top.txt", Data("top level\n".utf8)),
            ("a/one.bin", bytes(1000)),
            ("a/b/two.bin", bytes(200_000)),
            ("a/b/c/three.txt", Data("deep\n".utf8)),
            ("a/b/c/empty", Data()),
            ("d e/spaced name.txt", Data("spaces\n".utf8)),
        ]
        for (path, data) in contents {
            try data.write(to: root.appendingPathComponent(path))
            files.append(path)
        }
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.appendingPathComponent("a/one.bin").path)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("a/link-to-three").path,
                                  withDestinationPath: "b/c/three.txt")
        return files
    }

    /// Relative paths of everything under `root` (files, directories, links), sorted.
    static func listing(_ root: URL) -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { return [] }
        var paths: [String] = []
        while let path = walker.nextObject() as? String { paths.append(path) }
        return paths.sorted()
    }
}
