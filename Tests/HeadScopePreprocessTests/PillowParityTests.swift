import HeadScopePreprocess
import Testing

/// Byte-exact agreement with Pillow's alpha compositing and resampling.
@Suite struct PillowParityTests {
    @Test func syntheticImagesMatchTheFixtureGenerator() throws {
        for name in SyntheticImages.specs.keys.sorted() {
            let image = try SyntheticImages.image(name)
            #expect(SyntheticImages.fnv1a64(image.bytes) == (try Fixtures.metadata("image/\(name)/fnv1a64")),
                    "synthetic image \(name) drifted from scripts/fixtures/preprocess.py")
        }
        #expect(SyntheticImages.fnv1a64(try SyntheticImages.alphaRamp().bytes)
                == (try Fixtures.metadata("image/alpha_ramp/fnv1a64")))
    }

    @Test func alphaCompositeOntoWhiteMatchesPillowForEveryValueAndAlpha() throws {
        let rgb = try SyntheticImages.alphaRamp().convertedToRGB()
        let expected = try Fixtures.bytes("composite/alpha_ramp")
        #expect(expected.shape == [256, 256, 3])
        #expect(rgb.layout == .rgb && rgb.width == 256 && rgb.height == 256)
        let difference = Fixtures.firstDifference(rgb.bytes, expected.bytes)
        #expect(difference == nil, "\(difference ?? "")")
    }

    @Test(arguments: [
        ("photo", ResamplingFilter.bicubic, 224, 168),
        ("photo", .bilinear, 250, 190),
        ("small", .bicubic, 123, 171),
        ("small", .bilinear, 97, 140),
        ("small", .bicubic, 80, 40),
        ("small", .lanczos, 37, 29),
        ("small", .box, 37, 29),
        ("small", .hamming, 37, 29),
    ])
    func resizeMatchesPillowExactly(image name: String, filter: ResamplingFilter, width: Int, height: Int) throws {
        let image = try SyntheticImages.image(name).convertedToRGB()
        let resized = try image.resized(width: width, height: height, filter: filter)
        let key = "resize/\(name)_\(filter.name.lowercased())_\(width)x\(height)"
        let expected = try Fixtures.bytes(key)
        #expect(expected.shape == [height, width, 3])
        #expect(resized.width == width && resized.height == height)
        let difference = Fixtures.firstDifference(resized.bytes, expected.bytes)
        #expect(difference == nil, "\(key): \(difference ?? "")")
    }

    @Test func horizontalFirstOrderMatchesPillow12() throws {
        let image = try SyntheticImages.image("portrait").convertedToRGB()
        let expected = try Fixtures.bytes("resize_pillow12/portrait_bicubic_224x224")
        let legacy = try image.resized(width: 224, height: 224, filter: .bicubic, passOrder: .horizontalFirst)
        let difference = Fixtures.firstDifference(legacy.bytes, expected.bytes)
        #expect(difference == nil, "\(difference ?? "")")
        // This size is one where Pillow 13 goes vertical first, so the two orders must disagree.
        let current = try image.resized(width: 224, height: 224, filter: .bicubic)
        #expect(current.bytes != legacy.bytes)
    }

    @Test func resizeToTheSameSizeIsTheIdentity() throws {
        let image = try SyntheticImages.image("small")
        #expect(try image.resized(width: 50, height: 70) == image)
    }

    @Test func resizeRejectsWhatPillowWouldDoDifferently() throws {
        let rgba = try SyntheticImages.image("portrait")
        #expect(throws: PreprocessError.self) { try rgba.resized(width: 10, height: 10) }
        let rgb = try SyntheticImages.image("small")
        #expect(throws: PreprocessError.self) { try rgb.resized(width: 10, height: 10, filter: .nearest) }
        #expect(throws: PreprocessError.self) { try rgb.resized(width: 0, height: 10) }
    }
}
