import Foundation
import HeadScopePreprocess
import Testing
import TestSupport

/// `QwenVLImageProcessor` against transformers' `Qwen2VLImageProcessorPil`
/// (Tests/Fixtures/qwen_vl/processor, written by scripts/fixtures/qwen_vl.py).
@Suite("Qwen2-VL image processor parity")
struct QwenVLProcessorTests {
    struct Case: Decodable { var min_pixels: Int; var max_pixels: Int }

    @Test("grid and pixel values of images of several sizes and aspect ratios")
    func parity() throws {
        let golden = try GoldenTensors("qwen_vl/processor/processor.safetensors")
        struct Metadata: Decodable { var cases: [Case] }
        let cases = try JSONDecoder().decode(Metadata.self, from: Data((golden.metadata["fixture"] ?? "{}").utf8)).cases
        #expect(cases.count >= 5)
        var grids = Set<[Int]>()
        for (i, c) in cases.enumerated() {
            guard let source = golden["image.\(i)"], let expected = golden["pixel_values.\(i)"], let grid = golden["grid.\(i)"] else {
                Issue.record("fixture tensors for image \(i) are missing"); continue
            }
            let image = try PixelImage(width: source.shape[1], height: source.shape[0], layout: .rgb,
                                       bytes: source.int64Values.map { UInt8(truncatingIfNeeded: $0) })
            let processor = QwenVLImageProcessor(minPixels: c.min_pixels, maxPixels: c.max_pixels)
            let out = try processor(image)
            let g = grid.int64Values.map(Int.init)
            #expect([out.grid.temporal, out.grid.rows, out.grid.columns] == g, "image \(i)")
            grids.insert(g)
            #expect(out.image.height == g[1] * 14 && out.image.width == g[2] * 14)
            #expect(out.imageTokenCount == g[1] * g[2] / 4)
            // The fixture holds frame 0 of each patch; frame 1 must repeat it.
            let n = g[1] * g[2], frame = 14 * 14
            #expect(out.patchWidth == 3 * 2 * frame)
            var first = [Float](), second = [Float]()
            for k in 0..<n { for c in 0..<3 {
                let base = k * out.patchWidth + c * 2 * frame
                first += out.patches[base..<(base + frame)]
                second += out.patches[(base + frame)..<(base + 2 * frame)]
            } }
            #expect(first == second)
            if let message = mismatch(first, expected.values, relative: 0, absolute: 1e-6, label: "pixel values \(i)") {
                Issue.record(Comment(rawValue: message))
            }
        }
        #expect(grids.count >= 4)   // the cases cover distinct shapes
    }

    @Test("smart resize: rounding half to even, min and max pixel bounds, aspect limit")
    func smartResize() throws {
        // 70 / 28 = 2.5 rounds to 2 (Python's round), 126 / 28 = 4.5 to 4.
        #expect(try QwenVLImageProcessor.smartResize(height: 70, width: 126, factor: 28, minPixels: 28 * 28, maxPixels: 28 * 28 * 100) == (56, 112))
        // Too few pixels: scaled up with ceilings.
        #expect(try QwenVLImageProcessor.smartResize(height: 10, width: 20, factor: 28, minPixels: 56 * 56, maxPixels: 28 * 28 * 100) == (56, 84))
        // Too many: scaled down with floors.
        let big = try QwenVLImageProcessor.smartResize(height: 1000, width: 2000, factor: 28, minPixels: 56 * 56, maxPixels: 28 * 28 * 16)
        #expect(big.height * big.width <= 28 * 28 * 16 && big.height % 28 == 0 && big.width % 28 == 0)
        #expect(throws: PreprocessError.self) { try QwenVLImageProcessor.smartResize(height: 1, width: 300, factor: 28, minPixels: 1, maxPixels: 1 << 20) }
    }

    @Test("reads min/max pixels from a preprocessor config")
    func config() throws {
        let dir = try TestSupport.scratchDirectory("qwen-processor")
        let url = dir.appendingPathComponent("preprocessor_config.json")
        try Data(#"{"image_processor_type": "Qwen2VLImageProcessor", "min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14, "merge_size": 2}"#.utf8).write(to: url)
        let p = try QwenVLImageProcessor(configuration: url)
        #expect(p.minPixels == 3136 && p.maxPixels == 12845056 && p.patchSize == 14 && p.mergeSize == 2)
        try Data(#"{"patch_size": -1}"#.utf8).write(to: url)
        #expect(throws: PreprocessError.self) { try QwenVLImageProcessor(configuration: url) }
    }
}
