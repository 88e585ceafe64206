import Foundation
import HeadScopeImageIO
import Testing
import TestSupport

/// Decoded pixels compared byte for byte with what Pillow decodes from the same files.
@Suite struct DecodingTests {
    /// Pillow mode name to the pixel format we compare it with.
    static let modes: [String: PixelFormat] = ["L": .gray, "LA": .grayAlpha, "RGB": .rgb, "RGBA": .rgba]

    /// Decodes one fixture and checks its format, size and every Pillow dump.
    func check(_ name: String, decodesAs expected: PixelFormat) throws {
        let (dir, cases) = try PillowFixtures.load()
        let fixture = try #require(cases[name], "no fixture \(name)")
        let image = try RasterImage(contentsOf: dir.appendingPathComponent(fixture.file))
        #expect(image.format == expected, "\(name): format")
        #expect(image.width == fixture.width && image.height == fixture.height, "\(name): size")
        #expect(!fixture.dumps.isEmpty)
        for (key, file) in fixture.dumps.sorted(by: { $0.key < $1.key }) {
            let want = [UInt8](try Data(contentsOf: dir.appendingPathComponent(file)))
            let got: [UInt8]
            switch key {
            case "composite": got = image.compositedOnWhite().pixels
            case "high_byte": got = image.pixels
            default:
                let format = try #require(Self.modes[key], "unknown dump \(key)")
                got = image.converted(to: format).pixels
            }
            #expect(got.count == want.count, "\(name) \(key): \(got.count) bytes, Pillow \(want.count)")
            if got.count == want.count, let i = got.indices.first(where: { got[$0] != want[$0] }) {
                let differing = got.indices.filter { got[$0] != want[$0] }.count
                Issue.record("\(name) \(key): \(differing) bytes differ, first at \(i): \(got[i]) vs Pillow \(want[i])")
            }
        }
    }

    @Test func rgbaPNG() throws { try check("rgba", decodesAs: .rgba) }
    @Test func rgbPNG() throws { try check("rgb", decodesAs: .rgb) }
    @Test func grayPNG() throws { try check("gray", decodesAs: .gray) }
    @Test func grayAlphaPNG() throws { try check("la", decodesAs: .grayAlpha) }
    @Test func palettePNG() throws { try check("palette", decodesAs: .rgb) }
    @Test func paletteWithTransparencyPNG() throws { try check("palette_trns", decodesAs: .rgba) }
    @Test func grayWithColorKeyPNG() throws { try check("gray_trns", decodesAs: .grayAlpha) }
    @Test func lowBitDepthGrayPNG() throws {
        try check("gray1", decodesAs: .gray)
        try check("gray2", decodesAs: .gray)
        try check("gray4", decodesAs: .gray)
    }
    /// 16-bit gray keeps the high byte of the values Pillow reads as "I;16".
    @Test func sixteenBitGrayPNG() throws { try check("gray16", decodesAs: .gray) }
    @Test func sixteenBitColorPNG() throws {
        try check("rgb16", decodesAs: .rgb)
        try check("rgba16", decodesAs: .rgba)
    }

    @Test func jpegChromaSubsampling() throws {
        try check("rgb444", decodesAs: .rgb)
        try check("rgb422", decodesAs: .rgb)
        try check("rgb420", decodesAs: .rgb)
    }
    @Test func progressiveJPEG() throws { try check("progressive", decodesAs: .rgb) }
    @Test func grayJPEG() throws { try check("gray_jpeg", decodesAs: .gray) }

    @Test func cmykJPEGIsRefusedClearly() throws {
        let (dir, _) = try PillowFixtures.load()
        let url = dir.appendingPathComponent("cmyk.jpg")
        let error = try #require(throws: ImageIOError.self) { try RasterImage(contentsOf: url) }
        #expect(error.description.contains(url.path))
        #expect(error.description.contains("CMYK"))
    }

    @Test func decodingFromDataSniffsTheFormat() throws {
        let (dir, _) = try PillowFixtures.load()
        let png = try Data(contentsOf: dir.appendingPathComponent("rgb.png"))
        let jpeg = try Data(contentsOf: dir.appendingPathComponent("gray.jpg"))
        #expect(ImageFileFormat(sniffing: png) == .png)
        #expect(ImageFileFormat(sniffing: jpeg) == .jpeg)
        #expect(try RasterImage(data: png, name: "x").format == .rgb)
        #expect(try RasterImage(data: jpeg, name: "y").format == .gray)
    }
}
