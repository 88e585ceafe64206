import HeadScopePreprocess
import Testing

/// Center crop and pad-to-square on tiny images whose results can be written out by hand.
@Suite struct GeometryTests {
    /// A 1-channel-looking RGB image whose every channel holds `value(x, y)`.
    func image(width: Int, height: Int, _ value: (Int, Int) -> Int) throws -> PixelImage {
        var bytes: [UInt8] = []
        for y in 0..<height { for x in 0..<width { bytes += Array(repeating: UInt8(value(x, y)), count: 3) } }
        return try PixelImage(width: width, height: height, layout: .rgb, bytes: bytes)
    }

    func red(_ image: PixelImage) -> [[Int]] {
        (0..<image.height).map { y in (0..<image.width).map { x in Int(image.bytes[(y * image.width + x) * 3]) } }
    }

    @Test func centerCropInsideTheImageRoundsTheOffsetDown() throws {
        // 5 wide, crop 2: left = (5 - 2) // 2 = 1.
        let source = try image(width: 5, height: 4) { x, y in 10 * y + x + 1 }
        #expect(red(try source.centerCropped(height: 3, width: 2)) == [[2, 3], [12, 13], [22, 23]])
    }

    @Test func centerCropLargerThanTheImagePadsWithZeros() throws {
        // Width 2 into 5: the image starts at ceil(3 / 2) = 2; height 3 into 2 crops from row 0.
        let source = try image(width: 2, height: 3) { x, y in 10 * y + x + 1 }
        #expect(red(try source.centerCropped(height: 2, width: 5)) == [[0, 0, 1, 2, 0], [0, 0, 11, 12, 0]])
        #expect(red(try source.centerCropped(height: 4, width: 2)) == [[0, 0], [1, 2], [11, 12], [21, 22]])
    }

    @Test func padToSquareCentresWithTheFill() throws {
        let wide = try image(width: 3, height: 1) { x, _ in x + 1 }
        let padded = try wide.paddedToSquare(fill: [9, 8, 7])
        #expect(red(padded) == [[9, 9, 9], [1, 2, 3], [9, 9, 9]])
        #expect(Array(padded.bytes[0..<3]) == [9, 8, 7])
        let tall = try image(width: 1, height: 4) { _, y in y + 1 }
        #expect(red(try tall.paddedToSquare(fill: [0, 0, 0])) == [[0, 1, 0, 0], [0, 2, 0, 0], [0, 3, 0, 0], [0, 4, 0, 0]])
    }

    @Test func imageValidation() {
        #expect(throws: PreprocessError.self) { try PixelImage(width: 2, height: 2, layout: .rgb, bytes: [0, 0, 0]) }
        #expect(throws: PreprocessError.self) { try PixelImage(width: 0, height: 2, layout: .rgb, bytes: []) }
    }

    @Test func rgbaWithoutConversionIsRejectedByTheProcessor() throws {
        var config = ImageProcessorConfig()
        config.imageProcessorType = "CLIPImageProcessor"
        config.doConvertRgb = false
        let processor = try ImageProcessor(config: config)
        let rgba = try PixelImage(width: 1, height: 1, layout: .rgba, bytes: [1, 2, 3, 4])
        #expect(throws: PreprocessError.self) { try processor(rgba) }
    }
}
