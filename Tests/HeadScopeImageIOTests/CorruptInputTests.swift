import Foundation
import HeadScopeImageIO
import Testing
import TestSupport

/// Corrupt, truncated and foreign files give an ImageIOError naming the file, never a crash.
@Suite struct CorruptInputTests {
    func expectFailure(_ data: Data, label: String, mentions words: [String] = []) throws {
        let dir = try TestSupport.scratchDirectory("corrupt-image")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent(label)
        try data.write(to: url)
        let fromFile = try #require(throws: ImageIOError.self) { try RasterImage(contentsOf: url) }
        #expect(fromFile.description.contains(url.path), "\(fromFile)")
        for word in words {
            #expect(fromFile.description.localizedCaseInsensitiveContains(word), "\(fromFile)")
        }
        let fromData = try #require(throws: ImageIOError.self) {
            try RasterImage(data: data, name: "entry/\(label)")
        }
        #expect(fromData.description.contains("entry/\(label)"), "\(fromData)")
    }

    @Test func truncatedPNG() throws {
        let (dir, _) = try PillowFixtures.load()
        let data = try Data(contentsOf: dir.appendingPathComponent("rgba.png"))
        try expectFailure(data.prefix(data.count / 2), label: "half.png", mentions: ["truncated"])
        try expectFailure(data.prefix(20), label: "header-only.png")
    }

    @Test func pngWithDamagedImageData() throws {
        let (dir, _) = try PillowFixtures.load()
        var bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("rgb.png")))
        // Flip bytes inside the IDAT payload: the CRC (and the zlib stream) no longer match.
        let idat = try #require((0..<(bytes.count - 4)).first {
            bytes[$0..<($0 + 4)].elementsEqual("IDAT".utf8)
        })
        for i in (idat + 6)..<(idat + 14) { bytes[i] ^= 0x5A }
        try expectFailure(Data(bytes), label: "damaged.png")
    }

    @Test func truncatedJPEG() throws {
        let (dir, _) = try PillowFixtures.load()
        let data = try Data(contentsOf: dir.appendingPathComponent("rgb420.jpg"))
        try expectFailure(data.prefix(data.count / 2), label: "half.jpg", mentions: ["truncated"])
        try expectFailure(data.prefix(100), label: "header-only.jpg")
    }

    @Test func jpegWithGarbageHeader() throws {
        let (dir, _) = try PillowFixtures.load()
        var bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("gray.jpg")))
        // Overwrite everything after SOI with a bogus marker segment.
        for i in 2..<min(bytes.count, 64) { bytes[i] = 0xFF }
        bytes[3] = 0x01
        try expectFailure(Data(bytes), label: "garbage.jpg")
    }

    @Test func notAnImage() throws {
        try expectFailure(Data("hello, world\n".utf8), label: "text.png", mentions: ["not a PNG or JPEG"])
        try expectFailure(Data(), label: "empty.jpg", mentions: ["empty"])
    }
}
