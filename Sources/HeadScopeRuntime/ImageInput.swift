import Foundation
import HeadScopeEngine
import HeadScopeImageIO
import HeadScopePreprocess

/// How images become the engine's pixel input and how many prompt tokens they take: one
/// implementation per image-processor family (`PatchImageInput` for LLaVA-style towers and the
/// built-in model, `QwenImageInput` for Qwen2-VL / Qwen2.5-VL).
protocol ImageInput: Sendable {
    /// Decodes the file and runs the family's processor.
    func pixels(of url: URL) throws -> PixelValues
    /// Image tokens and their grid (rows x columns, in the order the features fill the tokens) for
    /// processed pixels of this size.
    func tokens(height: Int, width: Int) throws -> (count: Int, grid: (rows: Int, columns: Int))
}

extension ImageInput {
    /// Decodes `url` and composites any alpha onto white (transformers' `convert_to_rgb`).
    func decodeRGB(_ url: URL) throws -> PixelImage {
        let raster: RasterImage
        do {
            raster = try RasterImage(contentsOf: url).compositedOnWhite()
        } catch {
            throw RuntimeError("cannot read the image: \(error)", location: url.path)
        }
        return try PixelImage(width: raster.width, height: raster.height, layout: .rgb, bytes: raster.pixels)
    }
}

/// Fixed-size processors (CLIP, SigLIP, DINOv2 / Bit) feeding a patch tower with an optional class
/// token and pixel shuffle: LLaVA folders and the built-in model.
struct PatchImageInput: ImageInput {
    let processor: ImageProcessor
    let patchSize: Int
    /// Whether the tower puts a class token first (CLIP, DINOv2; not SigLIP).
    let hasClassToken: Bool
    /// `vision_feature_select_strategy == "default"`: the first token is dropped.
    let dropsFirstToken: Bool
    let pixelShuffle: Int

    func pixels(of url: URL) throws -> PixelValues {
        let tensor = try processor(try decodeRGB(url))
        return try PixelValues(channels: tensor.channels, height: tensor.height, width: tensor.width, values: tensor.values)
    }

    /// Image tokens and their grid for pixels of this size, as the LLaVA processor counts them:
    /// patches, plus the class token, minus the first token under the default strategy, then the
    /// pixel shuffle's `s x s` blocks.
    func tokens(height: Int, width: Int) throws -> (count: Int, grid: (rows: Int, columns: Int)) {
        let rows = height / patchSize, columns = width / patchSize
        let count = rows * columns + (hasClassToken ? 1 : 0) - (dropsFirstToken ? 1 : 0)
        guard count > 0 else { throw RuntimeError("a \(width)x\(height) image gives no image tokens with patch size \(patchSize)") }
        if pixelShuffle > 1 {
            let s = pixelShuffle
            guard count == rows * columns, rows == columns, rows % s == 0 else {
                throw RuntimeError("pixel shuffle \(s) needs a square patch grid divisible by \(s) without a class token; got \(rows)x\(columns)")
            }
            return (count / (s * s), (rows: rows / s, columns: columns / s))
        }
        // With a class token kept ("full"), the tokens are not a grid: one row.
        if count == rows * columns { return (count, (rows: rows, columns: columns)) }
        return (count, (rows: 1, columns: count))
    }
}

/// Qwen2-VL / Qwen2.5-VL: `Qwen2VLImageProcessor`'s smart resize (each side a multiple of
/// patch x merge, pixel count within the configured bounds), then one `<|image_pad|>` token per
/// merged `merge x merge` block of patches, in image order (the engine puts the tower's window
/// order back before the merger's output fills the tokens).
struct QwenImageInput: ImageInput {
    let processor: QwenVLImageProcessor

    /// The processor's full output (patches in transformers' `pixel_values` layout and the grid).
    func processed(of url: URL) throws -> QwenVLPixels {
        try processor(try decodeRGB(url))
    }

    /// The resized, normalised image: what the engine's Qwen tower takes (it flattens the patches
    /// itself, duplicating the frame as the processor does).
    func pixels(of url: URL) throws -> PixelValues {
        let image = try processed(of: url).image
        return try PixelValues(channels: image.channels, height: image.height, width: image.width, values: image.values)
    }

    /// `grid_t * grid_h * grid_w / merge^2` tokens (grid_t = 1 for a still image) on the merged grid.
    func tokens(height: Int, width: Int) throws -> (count: Int, grid: (rows: Int, columns: Int)) {
        let factor = processor.patchSize * processor.mergeSize
        guard height > 0, width > 0, height % factor == 0, width % factor == 0 else {
            throw RuntimeError("a \(width)x\(height) image is not a multiple of patch x merge = \(factor) pixels; the Qwen processor always resizes to one")
        }
        let rows = height / factor, columns = width / factor
        return (rows * columns, (rows: rows, columns: columns))
    }
}
