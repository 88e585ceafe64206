/// A decoded image: `width` x `height` pixels of 8-bit samples, rows top to bottom, channels
/// interleaved as ``PixelFormat`` says.
///
/// A plain value so preprocessing code can index it directly; the decoders and the PNG encoder
/// live in extensions (`RasterImage+Decoding.swift`, `RasterImage+PNG.swift`).
public struct RasterImage: Sendable, Hashable {
    public let width: Int
    public let height: Int
    public let format: PixelFormat
    /// `height * width * format.channels` samples, row-major.
    public var pixels: [UInt8]

    /// Wraps existing pixels; throws when the count does not match the geometry.
    public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) throws {
        guard width >= 0, height >= 0 else {
            throw ImageIOError(name: "<pixels>", reason: .invalidGeometry,
                               detail: "negative size \(width)x\(height)")
        }
        let (area, overflow1) = width.multipliedReportingOverflow(by: height)
        let (count, overflow2) = area.multipliedReportingOverflow(by: format.channels)
        guard !overflow1, !overflow2, pixels.count == count else {
            throw ImageIOError(name: "<pixels>", reason: .invalidGeometry,
                               detail: "\(pixels.count) samples given for a \(width)x\(height) "
                                   + "\(format) image, which needs \(width * height * format.channels)")
        }
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// A new image filled with one pixel value (`value.count` must equal the channel count).
    public init(width: Int, height: Int, format: PixelFormat, filledWith value: [UInt8]) throws {
        guard value.count == format.channels else {
            throw ImageIOError(name: "<pixels>", reason: .invalidGeometry,
                               detail: "fill value has \(value.count) samples, \(format) needs "
                                   + "\(format.channels)")
        }
        var pixels: [UInt8] = []
        pixels.reserveCapacity(max(0, width * height * value.count))
        for _ in 0..<max(0, width * height) { pixels.append(contentsOf: value) }
        try self.init(width: width, height: height, format: format, pixels: pixels)
    }

    /// Internal initializer for geometry the caller has already checked.
    init(unchecked width: Int, _ height: Int, _ format: PixelFormat, _ pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// The samples of pixel (`x`, `y`), or nil outside the image.
    public subscript(x: Int, y: Int) -> ArraySlice<UInt8>? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let start = (y * width + x) * format.channels
        return pixels[start..<(start + format.channels)]
    }
}
