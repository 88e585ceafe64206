/// The channel layout of a ``RasterImage``: 8-bit samples, interleaved in this order.
///
/// The names follow Pillow's modes: `gray` is "L", `grayAlpha` "LA", `rgb` "RGB", `rgba` "RGBA".
public enum PixelFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case gray
    case grayAlpha
    case rgb
    case rgba

    /// Samples per pixel.
    public var channels: Int {
        switch self {
        case .gray: 1
        case .grayAlpha: 2
        case .rgb: 3
        case .rgba: 4
        }
    }

    /// Whether the last channel is alpha.
    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }

    /// The format with this many channels, if any.
    public init?(channels: Int) {
        switch channels {
        case 1: self = .gray
        case 2: self = .grayAlpha
        case 3: self = .rgb
        case 4: self = .rgba
        default: return nil
        }
    }
}
