import Foundation

/// The transformers image processor classes HeadScope reproduces.
public enum ImageProcessorKind: String, Sendable, Hashable, CaseIterable {
    case clip
    case siglip
    case bit
    case llava

    /// The class name used in `image_processor_type`.
    public var className: String {
        switch self {
        case .clip: return "CLIPImageProcessor"
        case .siglip: return "SiglipImageProcessor"
        case .bit: return "BitImageProcessor"
        case .llava: return "LlavaImageProcessor"
        }
    }

    /// Recognises a class name, including the `Fast` (torchvision) and `Pil` variants of transformers
    /// 5 and the legacy `FeatureExtractor` names; the variants share one configuration.
    public init?(className: String) {
        var base = className
        for suffix in ["ImageProcessorFast", "ImageProcessorPil", "FeatureExtractor"] where base.hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count)) + "ImageProcessor"
        }
        guard let kind = Self.allCases.first(where: { $0.className == base }) else { return nil }
        self = kind
    }
}

/// Image preprocessing equivalent to a transformers image processor (PIL backend) for one
/// configuration: RGB conversion, optional pad to square (LLaVA), Pillow resize, center crop,
/// rescale and normalise, giving `pixel_values` as a `[3, H, W]` float32 tensor.
///
/// transformers 5 defaults to the torchvision ("fast") implementations when torchvision is
/// installed; without it `AutoImageProcessor` falls back to the `...Pil` classes, and those are
/// what this reproduces (byte-exact before rescaling, with Pillow 13). torchvision's antialiased
/// uint8 resize runs the horizontal pass first, like Pillow 12: measured on the fixture images it
/// differs from this by at most one 8-bit level on under 1% of values, except where Pillow 13
/// runs the vertical pass first (up to 21 levels; see ``ResamplePassOrder``).
public struct ImageProcessor: Sendable, Hashable {
    /// A crop or output size in pixels.
    public struct Size: Sendable, Hashable {
        public var height: Int
        public var width: Int
        public init(height: Int, width: Int) { self.height = height; self.width = width }
    }

    /// Per-channel normalisation statistics: `(x - mean) / std`.
    public struct Statistics: Sendable, Hashable {
        public var mean: [Double]
        public var std: [Double]
        public init(mean: [Double], std: [Double]) { self.mean = mean; self.std = std }
    }

    public var kind: ImageProcessorKind
    public var doConvertRGB: Bool
    /// LLaVA only: the fill colour for padding to a square before resizing, or nil when off.
    /// transformers uses `int(mean * 255)` per channel (truncated).
    public var padColor: [UInt8]?
    /// Resize target, or nil when resizing is off.
    public var resize: TargetSize?
    public var resample: ResamplingFilter
    /// Which Pillow version's pass order to reproduce; `.pillow13` matches the reference stack.
    public var passOrder: ResamplePassOrder = .pillow13
    /// Center crop size, or nil when cropping is off.
    public var centerCrop: Size?
    /// Multiplier applied to bytes before normalising, or nil when rescaling is off.
    public var rescaleFactor: Double?
    /// Mean and std, or nil when normalising is off.
    public var normalization: Statistics?

    /// Resolves a configuration against its class defaults, validating every value it uses.
    ///
    /// - Parameters:
    ///   - config: the decoded `preprocessor_config.json`.
    ///   - className: the class to use when the config names none (for example from the model's
    ///     `config.json`); the config's own `image_processor_type` wins when present.
    ///   - file: the file name, for error messages.
    public init(config: ImageProcessorConfig, className: String? = nil, file: String? = nil) throws {
        guard let name = config.imageProcessorType ?? config.featureExtractorType ?? className else {
            throw PreprocessError.invalidConfig(
                file: file, key: "image_processor_type",
                reason: "missing; name the processor class (for example CLIPImageProcessor)")
        }
        guard let kind = ImageProcessorKind(className: name) else {
            throw PreprocessError.unknownProcessorClass(file: file, name: name)
        }
        func bad(_ key: String, _ reason: String) -> PreprocessError {
            .invalidConfig(file: file, key: key, reason: reason)
        }
        let clipMean = [0.48145466, 0.4578275, 0.40821073], clipStd = [0.26862954, 0.26130258, 0.27577711]
        let defaults: (mean: [Double], std: [Double], size: TargetSize, crop: Size?)
        switch kind {
        case .clip, .bit, .llava:
            defaults = (clipMean, clipStd, .shortestEdge(224), Size(height: 224, width: 224))
        case .siglip:
            defaults = ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], .exact(height: 224, width: 224), nil)
        }
        let defaultToSquare = config.defaultToSquare ?? false

        self.kind = kind
        self.doConvertRGB = config.doConvertRgb ?? true

        let resampleCode = config.resample ?? ResamplingFilter.bicubic.rawValue
        guard let resample = ResamplingFilter(rawValue: resampleCode) else {
            throw bad("resample", "\(resampleCode) is not a Pillow filter (0 NEAREST ... 5 HAMMING)")
        }
        guard resample != .nearest else {
            throw bad("resample", "0 (NEAREST) is not supported; use 2 (BILINEAR) or 3 (BICUBIC)")
        }
        self.resample = resample

        if config.doResize ?? true {
            self.resize = try config.size.map {
                try TargetSize.resolve($0, defaultToSquare: defaultToSquare, key: "size", file: file)
            } ?? defaults.size
        } else {
            self.resize = nil
        }

        // SigLIP has no crop in its defaults, so do_center_crop is off unless the config turns it on.
        if config.doCenterCrop ?? (defaults.crop != nil) {
            if let value = config.cropSize {
                guard case .exact(let h, let w) = try TargetSize.resolve(value, defaultToSquare: true, key: "crop_size", file: file) else {
                    throw bad("crop_size", "a crop size needs height and width")
                }
                self.centerCrop = Size(height: h, width: w)
            } else if let crop = defaults.crop {
                self.centerCrop = crop
            } else {
                throw bad("crop_size", "must be given when do_center_crop is true")
            }
        } else {
            self.centerCrop = nil
        }

        if config.doRescale ?? true {
            let factor = config.rescaleFactor ?? (1.0 / 255.0)
            guard factor.isFinite else { throw bad("rescale_factor", "must be a finite number") }
            self.rescaleFactor = factor
        } else {
            self.rescaleFactor = nil
        }

        let meanValue = config.imageMean ?? .perChannel(defaults.mean)
        let stdValue = config.imageStd ?? .perChannel(defaults.std)
        guard let mean = meanValue.resolved(channels: 3), mean.allSatisfy(\.isFinite) else {
            throw bad("image_mean", "needs 1 or 3 finite numbers, got \(meanValue)")
        }
        guard let std = stdValue.resolved(channels: 3), std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw bad("image_std", "needs 1 or 3 finite non-zero numbers, got \(stdValue)")
        }
        self.normalization = (config.doNormalize ?? true) ? Statistics(mean: mean, std: std) : nil
        // LLaVA's pad colour comes from the mean even when normalising is off.
        self.padColor = kind == .llava && (config.doPad ?? false)
            ? mean.map { UInt8(min(max(($0 * 255).rounded(.towardZero), 0), 255)) } : nil

        if kind != .llava, config.doPad == true, config.padSize != nil {
            throw bad("pad_size", "padding to a fixed size is not supported (\(kind.className))")
        }
    }

    /// Reads `preprocessor_config.json` and resolves it (see ``init(config:className:file:)``).
    public init(contentsOf url: URL, className: String? = nil) throws {
        try self.init(config: ImageProcessorConfig(contentsOf: url), className: className, file: url.path)
    }

    /// The 8-bit image after colour conversion and geometry (pad, resize, crop): what rescaling
    /// and normalisation are applied to.
    public func preparedImage(_ image: PixelImage) throws -> PixelImage {
        var image = image
        if doConvertRGB { image = image.convertedToRGB() }
        guard image.layout == .rgb else {
            throw PreprocessError.unsupported(
                "\(kind.className) with do_convert_rgb false got an RGBA image; the model expects 3 channels")
        }
        if let padColor { image = try image.paddedToSquare(fill: padColor) }
        if let resize {
            let size = resize.outputSize(height: image.height, width: image.width)
            guard size.height > 0, size.width > 0 else {
                throw PreprocessError.invalidImage(
                    "a \(image.width)x\(image.height) image resizes to \(size.width)x\(size.height) under \(resize)")
            }
            image = try image.resized(width: size.width, height: size.height, filter: resample, passOrder: passOrder)
        }
        if let centerCrop { image = try image.centerCropped(height: centerCrop.height, width: centerCrop.width) }
        return image
    }

    /// The per-channel byte-to-float mapping this processor applies after geometry.
    public var normalizationTable: PixelNormalization {
        PixelNormalization(channels: 3, rescaleFactor: rescaleFactor, mean: normalization?.mean, std: normalization?.std)
    }

    /// `pixel_values` for one image: `[3, H, W]` float32, channel-first.
    public func callAsFunction(_ image: PixelImage) throws -> ImageTensor {
        try normalizationTable.apply(to: preparedImage(image))
    }
}
