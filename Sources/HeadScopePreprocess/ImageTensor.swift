/// A channel-first float32 image `[channels, height, width]`: the `pixel_values` of one image.
public struct ImageTensor: Sendable, Hashable {
    /// Number of channels (3 for every processor here).
    public let channels: Int
    /// Height in pixels.
    public let height: Int
    /// Width in pixels.
    public let width: Int
    /// `channels * height * width` values, channel planes one after another.
    public let values: [Float]

    /// The shape as `[channels, height, width]`.
    public var shape: [Int] { [channels, height, width] }

    /// The value at channel `c`, row `y`, column `x`.
    public subscript(c: Int, y: Int, x: Int) -> Float { values[(c * height + y) * width + x] }

    init(channels: Int, height: Int, width: Int, values: [Float]) {
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }
}

/// Rescaling and per-channel normalisation of 8-bit samples, in transformers' order of operations.
///
/// transformers' `rescale` multiplies in float64 (`image.astype(np.float64) * scale`) and only then
/// casts to float32; `normalize` then computes `(x - mean) / std` in float32 with mean and std cast
/// to float32. Because the input is a byte, the whole chain is a lookup table per channel, which is
/// both exact and fast.
public struct PixelNormalization: Sendable, Hashable {
    /// Per-channel lookup: `table[c * 256 + byte]`.
    public let table: [Float]
    /// Number of channels the table covers.
    public let channels: Int

    /// Builds the per-channel table for `channels` channels.
    ///
    /// - Parameters:
    ///   - rescaleFactor: multiplier applied first, in float64 (nil: no rescale; the byte is
    ///     converted to float32 as is, as transformers does before normalising).
    ///   - mean, std: per-channel statistics (nil: no normalisation).
    public init(channels: Int = 3, rescaleFactor: Double?, mean: [Double]?, std: [Double]?) {
        var table = [Float](repeating: 0, count: channels * 256)
        for c in 0..<channels {
            for byte in 0..<256 {
                var x: Float
                if let rescaleFactor { x = Float(Double(byte) * rescaleFactor) } else { x = Float(byte) }
                if let mean, let std, c < mean.count, c < std.count {
                    x = (x - Float(mean[c])) / Float(std[c])
                }
                table[c * 256 + byte] = x
            }
        }
        self.table = table
        self.channels = channels
    }

    /// Applies the table to an image with as many channels and returns it channel-first.
    public func apply(to image: PixelImage) throws -> ImageTensor {
        guard image.channels == channels else {
            throw PreprocessError.unsupported("normalising a \(image.channels)-channel image with \(channels)-channel statistics")
        }
        let c = channels, plane = image.width * image.height
        var values = [Float](repeating: 0, count: c * plane)
        image.bytes.withUnsafeBufferPointer { src in
            table.withUnsafeBufferPointer { lut in
                values.withUnsafeMutableBufferPointer { dst in
                    for p in 0..<plane {
                        for ch in 0..<c {
                            dst[ch * plane + p] = lut[ch * 256 + Int(src[p * c + ch])]
                        }
                    }
                }
            }
        }
        return ImageTensor(channels: c, height: image.height, width: image.width, values: values)
    }
}
