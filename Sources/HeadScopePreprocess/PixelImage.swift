/// How the bytes of a ``PixelImage`` are interleaved.
public enum PixelLayout: Int, Sendable, Hashable, CaseIterable {
    /// Red, green, blue: 3 bytes per pixel.
    case rgb = 3
    /// Red, green, blue, alpha (straight, not premultiplied): 4 bytes per pixel.
    case rgba = 4

    /// Bytes per pixel.
    public var channels: Int { rawValue }
}

/// An 8-bit RGB or RGBA image: row-major, channels interleaved, no row padding.
///
/// The value the preprocessing works on; decoders (PNG, JPEG) produce it elsewhere. It holds
/// exactly what Pillow's `np.asarray(image)` holds for an `RGB` or `RGBA` image, which is what the
/// transformers image processors start from.
public struct PixelImage: Sendable, Hashable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Channel interleaving of ``bytes``.
    public let layout: PixelLayout
    /// `height * width * layout.channels` bytes, row by row.
    public let bytes: [UInt8]

    /// Wraps interleaved bytes; throws when the count does not match the geometry.
    public init(width: Int, height: Int, layout: PixelLayout, bytes: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw PreprocessError.invalidImage("image size \(width)x\(height): both sides must be positive")
        }
        let (pixels, overflow1) = width.multipliedReportingOverflow(by: height)
        let (expected, overflow2) = pixels.multipliedReportingOverflow(by: layout.channels)
        guard !overflow1, !overflow2, bytes.count == expected else {
            throw PreprocessError.invalidImage(
                "image \(width)x\(height) \(layout) needs \(width)*\(height)*\(layout.channels) bytes, got \(bytes.count)")
        }
        self.width = width
        self.height = height
        self.layout = layout
        self.bytes = bytes
    }

    /// Internal initializer for buffers whose size the caller has already established.
    init(unchecked width: Int, _ height: Int, _ layout: PixelLayout, _ bytes: [UInt8]) {
        self.width = width
        self.height = height
        self.layout = layout
        self.bytes = bytes
    }

    /// Number of bytes per pixel.
    public var channels: Int { layout.channels }
}
