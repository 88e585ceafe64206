/// Each patch's mean colour over a `cells x cells` grid of cells, as the built-in model's
/// connector reads it beside the DINOv2 features (`patch_color_cells`; DINOv2 was trained with
/// colour jitter, so its features carry little colour). The reference is `patch_colors` in
/// scripts/builtin/builtin_model.py (an average pool of the normalised pixels).
enum PatchColors {
    /// Values per patch: `cells * cells * channels`, in (cell row, cell column, channel) order.
    static func width(cells: Int, channels: Int = 3) -> Int { cells * cells * channels }

    /// Writes patch `p`'s (row-major over the patch grid) values to
    /// `out[p * stride + offset ..< p * stride + offset + width]`.
    static func write(_ pixels: PixelValues, patch: Int, cells: Int,
                      into out: UnsafeMutablePointer<Float>, stride: Int, offset: Int) throws {
        guard cells > 0, patch % cells == 0, pixels.height % patch == 0, pixels.width % patch == 0 else {
            throw EngineError(.input, "patch colours need \(patch)-pixel patches in \(cells) x \(cells) cells; the image is \(pixels.width) x \(pixels.height)")
        }
        let cell = patch / cells, rows = pixels.height / patch, cols = pixels.width / patch
        let plane = pixels.height * pixels.width, scale = 1 / Double(cell * cell)
        pixels.values.withUnsafeBufferPointer { v in
            for py in 0..<rows { for px in 0..<cols {
                let base = out + (py * cols + px) * stride + offset
                var k = 0
                for cy in 0..<cells { for cx in 0..<cells { for c in 0..<pixels.channels {
                    let y0 = py * patch + cy * cell, x0 = px * patch + cx * cell
                    var sum = 0.0
                    for y in y0..<(y0 + cell) { for x in x0..<(x0 + cell) { sum += Double(v[c * plane + y * pixels.width + x]) } }
                    base[k] = Float(sum * scale)
                    k += 1
                } } }
            } }
        }
    }
}
