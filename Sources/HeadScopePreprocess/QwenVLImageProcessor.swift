import Foundation

/// The output of ``QwenVLImageProcessor`` for one image.
public struct QwenVLPixels: Sendable, Hashable {
    /// The resized, rescaled and normalised image, `[3, H, W]`; what the engine's Qwen tower takes.
    public let image: ImageTensor
    /// `image_grid_thw`: frames (1 for a still image), patch rows, patch columns.
    public let grid: (temporal: Int, rows: Int, columns: Int)
    /// transformers' `pixel_values`: `[rows * columns, channels * temporal * patch * patch]`, patches
    /// in merge-block order (each `merge x merge` block's patches consecutive, blocks row by row),
    /// each flattened (channel, frame, y, x), the one frame of a still image repeated.
    public let patches: [Float]
    /// Floats per row of `patches`.
    public let patchWidth: Int
    /// The spatial merge factor the grid was made for.
    public let mergeSize: Int

    /// How many `<|image_pad|>` tokens the prompt needs for this image (merged grid cells).
    public var imageTokenCount: Int { grid.temporal * grid.rows * grid.columns / (mergeSize * mergeSize) }

    public static func == (a: QwenVLPixels, b: QwenVLPixels) -> Bool {
        a.image == b.image && a.grid == b.grid && a.patches == b.patches
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(image); hasher.combine(grid.rows); hasher.combine(grid.columns)
    }
}

/// transformers' `Qwen2VLImageProcessor` (PIL path, `Qwen2VLImageProcessorPil`), used by Qwen2-VL
/// and Qwen2.5-VL: RGB conversion, "smart resize" of each side to a multiple of
/// `patchSize * mergeSize` keeping the pixel count within `[minPixels, maxPixels]` and the aspect
/// ratio as close as it can, Pillow bicubic resize, rescale by 1/255, OpenAI CLIP normalisation,
/// then patch flattening with the frame repeated `temporalPatchSize` times.
public struct QwenVLImageProcessor: Sendable, Hashable {
    public var minPixels: Int
    public var maxPixels: Int
    public var patchSize: Int
    public var mergeSize: Int
    public var temporalPatchSize: Int
    public var mean: [Double]
    public var std: [Double]

    /// OpenAI CLIP statistics, the processor's defaults.
    public static let clipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStd = [0.26862954, 0.26130258, 0.27577711]

    /// The processor with transformers' defaults unless given (min 56 x 56, max 28 x 28 x 1280).
    public init(minPixels: Int = 56 * 56, maxPixels: Int = 28 * 28 * 1280, patchSize: Int = 14, mergeSize: Int = 2,
                temporalPatchSize: Int = 2, mean: [Double] = clipMean, std: [Double] = clipStd) {
        self.minPixels = minPixels; self.maxPixels = maxPixels; self.patchSize = patchSize
        self.mergeSize = mergeSize; self.temporalPatchSize = temporalPatchSize; self.mean = mean; self.std = std
    }

    /// Reads a `preprocessor_config.json`: `min_pixels` / `max_pixels`, or `size` with
    /// `shortest_edge` / `longest_edge` (the same numbers under transformers 5's names),
    /// `patch_size`, `merge_size`, `temporal_patch_size`, `image_mean`, `image_std`.
    public init(configuration url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PreprocessError.invalidConfig(file: url.path, key: "", reason: "not a readable JSON object")
        }
        func int(_ key: String) throws -> Int? {
            guard let value = json[key] else { return nil }
            guard let n = value as? Int, n > 0 else { throw PreprocessError.invalidConfig(file: url.path, key: key, reason: "must be a positive integer") }
            return n
        }
        func doubles(_ key: String) throws -> [Double]? {
            guard let value = json[key] else { return nil }
            guard let list = value as? [Double], list.count == 3 else { throw PreprocessError.invalidConfig(file: url.path, key: key, reason: "must be three numbers") }
            return list
        }
        let size = json["size"] as? [String: Any]
        self.init(minPixels: try int("min_pixels") ?? (size?["shortest_edge"] as? Int) ?? 56 * 56,
                  maxPixels: try int("max_pixels") ?? (size?["longest_edge"] as? Int) ?? 28 * 28 * 1280,
                  patchSize: try int("patch_size") ?? 14, mergeSize: try int("merge_size") ?? 2,
                  temporalPatchSize: try int("temporal_patch_size") ?? 2,
                  mean: try doubles("image_mean") ?? Self.clipMean, std: try doubles("image_std") ?? Self.clipStd)
    }

    /// transformers' `smart_resize`: the output `(height, width)`, both multiples of `factor`.
    /// Python's `round` (half to even) and float arithmetic are reproduced exactly.
    public static func smartResize(height: Int, width: Int, factor: Int, minPixels: Int, maxPixels: Int) throws -> (height: Int, width: Int) {
        guard height > 0, width > 0, factor > 0 else {
            throw PreprocessError.invalidImage("smart resize of \(width)x\(height) with factor \(factor): sizes must be positive")
        }
        let h = Double(height), w = Double(width), f = Double(factor)
        guard max(h, w) / min(h, w) <= 200 else {
            throw PreprocessError.invalidImage("aspect ratio \(max(h, w) / min(h, w)) of a \(width)x\(height) image exceeds 200")
        }
        var hBar = Int((h / f).rounded(.toNearestOrEven)) * factor
        var wBar = Int((w / f).rounded(.toNearestOrEven)) * factor
        if hBar * wBar > maxPixels {
            let beta = ((h * w) / Double(maxPixels)).squareRoot()
            hBar = max(factor, Int((h / beta / f).rounded(.down)) * factor)
            wBar = max(factor, Int((w / beta / f).rounded(.down)) * factor)
        } else if hBar * wBar < minPixels {
            let beta = (Double(minPixels) / (h * w)).squareRoot()
            hBar = Int((h * beta / f).rounded(.up)) * factor
            wBar = Int((w * beta / f).rounded(.up)) * factor
        }
        return (hBar, wBar)
    }

    /// Processes one image.
    public func callAsFunction(_ image: PixelImage) throws -> QwenVLPixels {
        let rgb = image.convertedToRGB()
        let factor = patchSize * mergeSize
        let size = try Self.smartResize(height: rgb.height, width: rgb.width, factor: factor,
                                        minPixels: minPixels, maxPixels: maxPixels)
        let resized = try rgb.resized(width: size.width, height: size.height, filter: .bicubic)
        let tensor = try PixelNormalization(channels: 3, rescaleFactor: 1 / 255, mean: mean, std: std).apply(to: resized)
        let gh = size.height / patchSize, gw = size.width / patchSize, p = patchSize, m = mergeSize, t = temporalPatchSize
        let width = 3 * t * p * p
        var patches = [Float](repeating: 0, count: gh * gw * width)
        tensor.values.withUnsafeBufferPointer { src in
            var k = 0
            for by in 0..<(gh / m) { for bx in 0..<(gw / m) { for my in 0..<m { for mx in 0..<m {
                let row = by * m + my, col = bx * m + mx
                for c in 0..<3 { for f in 0..<t { for y in 0..<p {
                    let from = (c * size.height + row * p + y) * size.width + col * p
                    let to = k * width + ((c * t + f) * p + y) * p
                    for x in 0..<p { patches[to + x] = src[from + x] }
                } } }
                k += 1
            } } } }
        }
        return QwenVLPixels(image: tensor, grid: (1, gh, gw), patches: patches, patchWidth: width, mergeSize: m)
    }
}
