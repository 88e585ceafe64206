import Foundation
import HeadScopePreprocess
import Testing

/// Reading `preprocessor_config.json` and resolving it against the class defaults.
@Suite struct ConfigTests {
    func processor(_ json: String) throws -> ImageProcessor {
        try ImageProcessor(config: ImageProcessorConfig(json: Data(json.utf8), file: "test.json"), file: "test.json")
    }

    func error(_ json: String) -> PreprocessError? {
        do { _ = try processor(json); return nil } catch let error as PreprocessError { return error } catch { return nil }
    }

    @Test func publishedConfigsResolveToTheirSettings() throws {
        let clip = try ImageProcessor(contentsOf: Fixtures.configURL("clip"))
        #expect(clip.kind == .clip && clip.resize == .shortestEdge(224) && clip.resample == .bicubic)
        #expect(clip.centerCrop == ImageProcessor.Size(height: 224, width: 224) && clip.padColor == nil)

        let siglip = try ImageProcessor(contentsOf: Fixtures.configURL("siglip"))
        #expect(siglip.resize == .exact(height: 224, width: 224) && siglip.centerCrop == nil)
        #expect(siglip.normalization == ImageProcessor.Statistics(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]))

        let dinov2 = try ImageProcessor(contentsOf: Fixtures.configURL("dinov2"))
        #expect(dinov2.kind == .bit && dinov2.resize == .shortestEdge(256))
        #expect(dinov2.normalization?.mean == [0.485, 0.456, 0.406])

        let llava = try ImageProcessor(contentsOf: Fixtures.configURL("llava"))
        // int(mean * 255) for OpenAI CLIP's mean: 122.77, 116.75, 104.09, truncated.
        #expect(llava.padColor == [122, 116, 104])
        #expect(llava.resize == .shortestEdge(336) && llava.centerCrop == ImageProcessor.Size(height: 336, width: 336))
    }

    @Test func classDefaultsFillMissingKeys() throws {
        let clip = try processor(#"{"image_processor_type": "CLIPImageProcessor"}"#)
        #expect(clip.resize == .shortestEdge(224) && clip.rescaleFactor == 1.0 / 255.0)
        #expect(clip.normalization?.std == [0.26862954, 0.26130258, 0.27577711])
        let siglip = try processor(#"{"image_processor_type": "SiglipImageProcessor"}"#)
        #expect(siglip.centerCrop == nil && siglip.normalization?.mean == [0.5, 0.5, 0.5])
        let llava = try processor(#"{"image_processor_type": "LlavaImageProcessor"}"#)
        #expect(llava.padColor == nil, "do_pad defaults to false")
    }

    @Test func classNameVariantsShareTheConfiguration() throws {
        #expect(try processor(#"{"image_processor_type": "CLIPImageProcessorFast"}"#).kind == .clip)
        #expect(try processor(#"{"image_processor_type": "SiglipImageProcessorPil"}"#).kind == .siglip)
        #expect(try processor(#"{"feature_extractor_type": "CLIPFeatureExtractor"}"#).kind == .clip)
        let fallback = try ImageProcessor(config: ImageProcessorConfig(json: Data("{}".utf8)), className: "BitImageProcessor")
        #expect(fallback.kind == .bit)
    }

    @Test func sizeForms() throws {
        // An integer size is a shortest edge unless default_to_square is set; a list is [height, width].
        #expect(try processor(#"{"image_processor_type": "CLIPImageProcessor", "size": 300}"#).resize == .shortestEdge(300))
        #expect(try processor(#"{"image_processor_type": "CLIPImageProcessor", "size": 300, "default_to_square": true}"#).resize
                == .exact(height: 300, width: 300))
        #expect(try processor(#"{"image_processor_type": "SiglipImageProcessor", "size": [384, 320]}"#).resize
                == .exact(height: 384, width: 320))
        // crop_size as an integer is always a square.
        #expect(try processor(#"{"image_processor_type": "CLIPImageProcessor", "crop_size": 200}"#).centerCrop
                == ImageProcessor.Size(height: 200, width: 200))
        #expect(try processor(#"{"image_processor_type": "CLIPImageProcessor", "size": {"height": 10, "width": 20, "shortest_edge": null}}"#).resize
                == .exact(height: 10, width: 20))
        #expect(try processor(#"{"image_processor_type": "CLIPImageProcessor", "do_resize": false}"#).resize == nil)
    }

    @Test func outputSizesFollowTransformersRounding() {
        // get_resize_output_image_size truncates: 224 * 500 / 333 = 336.33.
        #expect(TargetSize.shortestEdge(224).outputSize(height: 500, width: 333) == (336, 224))
        #expect(TargetSize.shortestEdge(256).outputSize(height: 480, width: 640) == (256, 341))
        // get_size_with_aspect_ratio: raw size 50 * 50 / 70 = 35.71 rounds to 36, height 35.71 * 70 / 50.
        #expect(TargetSize.shortestAndLongestEdge(shortest: 40, longest: 50).outputSize(height: 70, width: 50) == (50, 36))
        // Round half to even, as Python's round: raw size 25 * 25 / 50 = 12.5 -> 12, height int(12.5 * 50 / 25).
        #expect(TargetSize.shortestAndLongestEdge(shortest: 20, longest: 25).outputSize(height: 50, width: 25) == (25, 12))
        #expect(TargetSize.fitWithin(maxHeight: 50, maxWidth: 50).outputSize(height: 100, width: 200) == (25, 50))
    }

    @Test func unknownClassIsNamed() throws {
        let error = error(#"{"image_processor_type": "Qwen2VLImageProcessor"}"#)
        #expect(error == .unknownProcessorClass(file: "test.json", name: "Qwen2VLImageProcessor"))
        let message = error?.description ?? ""
        #expect(message.contains("Qwen2VLImageProcessor") && message.contains("CLIPImageProcessor") && message.contains("test.json"))
    }

    @Test func missingClassIsExplained() {
        guard case .invalidConfig(_, let key, _)? = error(#"{"size": 224}"#) else {
            Issue.record("expected an invalid-config error"); return
        }
        #expect(key == "image_processor_type")
    }

    @Test func badValuesNameTheirKey() throws {
        func key(_ json: String) -> String? {
            if case .invalidConfig(_, let key, _)? = error(json) { return key }
            return nil
        }
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "size": {"longest": 3}}"#) == "size")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "size": "big"}"#) == "size")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "size": [1, 2, 3]}"#) == "size")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 0}}"#) == "size")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 100000000000}}"#) == "size")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "crop_size": {"shortest_edge": 10}}"#) == "crop_size")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "image_mean": [0.5, 0.5]}"#) == "image_mean")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "image_std": [1, 0, 1]}"#) == "image_std")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "resample": 9}"#) == "resample")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "resample": 0}"#) == "resample")
        #expect(key(#"{"image_processor_type": "CLIPImageProcessor", "do_resize": "yes"}"#) == "do_resize")
        #expect(key(#"{"image_processor_type": "SiglipImageProcessor", "do_center_crop": true}"#) == "crop_size")
        #expect(key(#"{"image_processor_type": 7}"#) == "image_processor_type")
        // Absurd but finite statistics do not crash the pad colour computation.
        #expect(try processor(#"{"image_processor_type": "LlavaImageProcessor", "do_pad": true, "image_mean": 1e30}"#).padColor == [255, 255, 255])
    }

    @Test func malformedJSONIsReportedWithTheFile() {
        do {
            _ = try ImageProcessorConfig(json: Data("{ not json".utf8), file: "broken.json")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("broken.json"))
        }
        do {
            _ = try ImageProcessorConfig(contentsOf: URL(fileURLWithPath: "/nonexistent/preprocessor_config.json"))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("/nonexistent/preprocessor_config.json"))
        }
    }
}
