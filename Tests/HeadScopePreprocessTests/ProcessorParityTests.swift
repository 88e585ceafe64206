import HeadScopePreprocess
import Testing
import TestSupport

/// `pixel_values` from the transformers processors (PIL backend) for real-looking images.
@Suite struct ProcessorParityTests {
    /// (case, config folder, image), as in the script's CASES table.
    static let cases: [(String, String, String)] = [
        ("clip_photo", "clip", "photo"),
        ("clip_small", "clip", "small"),
        ("siglip_portrait", "siglip", "portrait"),
        ("dinov2_portrait", "dinov2", "portrait"),
        ("dinov2_square", "dinov2", "square"),
        ("llava_photo", "llava", "photo"),
        ("clip_crop_pad_small", "clip_crop_pad", "small"),
        ("clip_longest_edge_small", "clip_longest_edge", "small"),
    ]

    @Test(arguments: cases)
    func pixelValuesMatchTransformers(name: String, config: String, image imageName: String) throws {
        let processor = try ImageProcessor(contentsOf: Fixtures.configURL(config))
        let image = try SyntheticImages.image(imageName)
        let codes = try Fixtures.bytes("processor/\(name)/codes")
        let table = try Fixtures.floats("processor/\(name)/table")
        #expect(table.shape == [3, 256])
        let expected = (0..<codes.bytes.count).map { i -> Float in
            let channel = i / (codes.shape[1] * codes.shape[2])
            return table.values[channel * 256 + Int(codes.bytes[i])]
        }

        let pixelValues = try processor(image)
        #expect(pixelValues.shape == codes.shape, "\(name): shape")
        let difference = mismatch(pixelValues.values, expected, relative: 0, absolute: 1e-5, label: name)
        #expect(difference == nil, "\(difference ?? "")")

        // Stronger than the tolerance: the 8-bit image before rescaling equals transformers' exactly,
        // and so does the float mapping applied to it.
        let prepared = try processor.preparedImage(image)
        var channelFirst = [UInt8](repeating: 0, count: prepared.bytes.count)
        let plane = prepared.width * prepared.height
        for p in 0..<plane { for c in 0..<3 { channelFirst[c * plane + p] = prepared.bytes[p * 3 + c] } }
        let byteDifference = Fixtures.firstDifference(channelFirst, codes.bytes)
        #expect(byteDifference == nil, "\(name): \(byteDifference ?? "")")
        #expect(processor.normalizationTable.table == table.values, "\(name): rescale/normalize table")
    }

    @Test func autoImageProcessorPickedThePILBackend() throws {
        for config in ["clip", "siglip", "dinov2", "llava"] {
            #expect(try Fixtures.metadata("config/\(config)/backend") == "pil")
        }
        #expect(try Fixtures.metadata("config/dinov2/class") == "BitImageProcessorPil")
        #expect(try Fixtures.metadata("config/llava/class") == "LlavaImageProcessorPil")
    }
}
