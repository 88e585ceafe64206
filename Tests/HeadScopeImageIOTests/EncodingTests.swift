import Foundation
import HeadScopeImageIO
import Testing
import TestSupport

/// PNGs written here, read back by Pillow and by our own decoder.
@Suite struct EncodingTests {
    func randomImage(_ format: PixelFormat, width: Int, height: Int, seed: UInt64) throws -> RasterImage {
        var state = seed
        let pixels = (0..<(width * height * format.channels)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        return try RasterImage(width: width, height: height, format: format, pixels: pixels)
    }

    @Test(arguments: [PixelFormat.gray, .grayAlpha, .rgb, .rgba])
    func pillowReadsWhatWeWrite(format: PixelFormat) throws {
        let dir = try TestSupport.scratchDirectory("png-roundtrip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try randomImage(format, width: 23, height: 11, seed: UInt64(format.channels))
        let png = dir.appendingPathComponent("out.png")
        try image.writePNG(to: png)
        let raw = dir.appendingPathComponent("out.raw")
        let mode = try TestSupport.python("""
            import sys
            from PIL import Image
            im = Image.open(sys.argv[1]); im.load()
            open(sys.argv[2], "wb").write(im.tobytes())
            print(im.mode, im.width, im.height)
            """, [png.path, raw.path])
        let pillowMode = ["gray": "L", "grayAlpha": "LA", "rgb": "RGB", "rgba": "RGBA"][format.rawValue] ?? "?"
        #expect(mode.trimmingCharacters(in: .whitespacesAndNewlines) == "\(pillowMode) 23 11")
        #expect([UInt8](try Data(contentsOf: raw)) == image.pixels)
        #expect(try RasterImage(contentsOf: png) == image)
    }

    @Test func emptyImageCannotBeEncoded() throws {
        let image = try RasterImage(width: 0, height: 3, format: .rgb, pixels: [])
        #expect(throws: ImageIOError.self) { try image.pngData() }
    }

    @Test func geometryIsChecked() {
        #expect(throws: ImageIOError.self) {
            try RasterImage(width: 2, height: 2, format: .rgb, pixels: [1, 2, 3])
        }
    }
}
