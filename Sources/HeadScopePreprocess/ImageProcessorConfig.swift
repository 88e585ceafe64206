import Foundation

/// The contents of a Hugging Face `preprocessor_config.json`, as written (unset keys are nil).
///
/// Only the keys the supported processors read are decoded; others are ignored, as transformers
/// ignores keys a processor class does not know. Class defaults are applied later, by
/// ``ImageProcessor``, because they depend on `image_processor_type`.
public struct ImageProcessorConfig: Codable, Sendable, Hashable {
    public var imageProcessorType: String?
    /// Older checkpoints name their class here (for example `CLIPFeatureExtractor`).
    public var featureExtractorType: String?
    public var doResize: Bool?
    public var size: SizeValue?
    public var resample: Int?
    public var doCenterCrop: Bool?
    public var cropSize: SizeValue?
    public var doRescale: Bool?
    public var rescaleFactor: Double?
    public var doNormalize: Bool?
    public var imageMean: ChannelValues?
    public var imageStd: ChannelValues?
    public var doConvertRgb: Bool?
    public var doPad: Bool?
    public var padSize: SizeValue?
    public var defaultToSquare: Bool?

    enum CodingKeys: String, CodingKey {
        case imageProcessorType = "image_processor_type"
        case featureExtractorType = "feature_extractor_type"
        case doResize = "do_resize"
        case size
        case resample
        case doCenterCrop = "do_center_crop"
        case cropSize = "crop_size"
        case doRescale = "do_rescale"
        case rescaleFactor = "rescale_factor"
        case doNormalize = "do_normalize"
        case imageMean = "image_mean"
        case imageStd = "image_std"
        case doConvertRgb = "do_convert_rgb"
        case doPad = "do_pad"
        case padSize = "pad_size"
        case defaultToSquare = "default_to_square"
    }

    /// An empty configuration: every key unset.
    public init() {}

    /// Decodes a `preprocessor_config.json` document; errors name `file` and the offending key.
    public init(json: Data, file: String? = nil) throws {
        do {
            self = try JSONDecoder().decode(ImageProcessorConfig.self, from: json)
        } catch let error as DecodingError {
            throw PreprocessError.invalidConfig(file: file, key: Self.keyPath(error), reason: Self.reason(error))
        } catch {
            throw PreprocessError.invalidConfig(file: file, key: "(document)", reason: "\(error)")
        }
    }

    /// Reads and decodes a `preprocessor_config.json` file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PreprocessError.invalidConfig(file: url.path, key: "(file)",
                                                reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(json: data, file: url.path)
    }

    private static func keyPath(_ error: DecodingError) -> String {
        let path: [CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        @unknown default:
            path = []
        }
        return path.isEmpty ? "(document)" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func reason(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            return "expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "missing \(type): \(context.debugDescription)"
        case .keyNotFound(_, let context):
            return "required key missing: \(context.debugDescription)"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0.localizedDescription))" } ?? ""
            return context.debugDescription + underlying
        @unknown default:
            return "\(error)"
        }
    }
}

/// A `size`, `crop_size` or `pad_size` value as it appears in JSON: an integer, a list
/// `[height, width]`, or an object such as `{"shortest_edge": 224}` (null entries are dropped).
public enum SizeValue: Codable, Sendable, Hashable {
    case integer(Int)
    case list([Int])
    case dictionary([String: Int])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode([Int].self) {
            self = .list(value)
        } else if let value = try? container.decode([String: Int?].self) {
            self = .dictionary(value.compactMapValues { $0 })
        } else {
            throw DecodingError.typeMismatch(SizeValue.self, .init(
                codingPath: decoder.codingPath,
                debugDescription: "a size must be an integer, a list [height, width] or an object of integers"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .integer(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .dictionary(let value): try container.encode(value)
        }
    }
}

/// `image_mean` / `image_std`: one number for every channel, or one per channel.
public enum ChannelValues: Codable, Sendable, Hashable {
    case scalar(Double)
    case perChannel([Double])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self = .scalar(value)
        } else if let value = try? container.decode([Double].self) {
            self = .perChannel(value)
        } else {
            throw DecodingError.typeMismatch(ChannelValues.self, .init(
                codingPath: decoder.codingPath, debugDescription: "expected a number or a list of numbers"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .scalar(let value): try container.encode(value)
        case .perChannel(let value): try container.encode(value)
        }
    }

    /// The values for `channels` channels (a scalar is repeated, as transformers does).
    func resolved(channels: Int) -> [Double]? {
        switch self {
        case .scalar(let value): return Array(repeating: value, count: channels)
        case .perChannel(let values): return values.count == channels ? values : nil
        }
    }
}
