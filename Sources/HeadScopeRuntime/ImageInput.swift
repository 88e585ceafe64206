import Foundation
import HeadScopeEngine
import HeadScopeImageIO
import HeadScopePreprocess

/// How images become the vision tower's input and how many prompt tokens they take.
struct ImageInput: Sendable {
    let processor: ImageProcessor
    let patchSize: Int
    /// Whether the tower puts a class token first (CLIP, DINOv2; not SigLIP).
    let hasClassToken: Bool
    /// `vision_feature_select_strategy == "default"`: the first token is dropped.
    let dropsFirstToken: Bool
    let pixelShuffle: Int

    /// Decodes the file, composites any alpha onto white (transformers' `convert_to_rgb`), and
    /// runs the processor.
    func pixels(of url: URL) throws -> PixelValues {
        let raster: RasterImage
        do {
            raster = try RasterImage(contentsOf: url).compositedOnWhite()
        } catch {
            throw RuntimeError("cannot read the image: \(error)", location: url.path)
        }
        let image = try PixelImage(width: raster.width, height: raster.height, layout: .rgb, bytes: raster.pixels)
        let tensor = try processor(image)
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
