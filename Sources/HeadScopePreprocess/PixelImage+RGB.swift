extension PixelImage {
    /// The image as RGB, with any alpha composited onto opaque white.
    ///
    /// Matches transformers' `convert_to_rgb` on a PIL image, which runs
    /// `Image.alpha_composite(white, image).convert("RGB")`. Pillow composites in fixed point with
    /// 7 extra bits and a shift-based division by 255, and that arithmetic is reproduced here so the
    /// bytes agree exactly (a float blend with rounding can differ by one on some pixels).
    public func convertedToRGB() -> PixelImage {
        guard layout == .rgba else { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(width * height) {
                    let s = p * 4, d = p * 3
                    let alpha = UInt32(src[s + 3])
                    if alpha == 0 {
                        // Pillow copies the destination (the white background) as is.
                        dst[d] = 255; dst[d + 1] = 255; dst[d + 2] = 255
                        continue
                    }
                    for c in 0..<3 {
                        dst[d + c] = Self.compositeOverWhite(UInt32(src[s + c]), alpha: alpha)
                    }
                }
            }
        }
        return PixelImage(unchecked: width, height, .rgb, out)
    }

    /// One channel of Pillow's `ImagingAlphaComposite` with an opaque white destination.
    @inline(__always)
    static func compositeOverWhite(_ value: UInt32, alpha: UInt32) -> UInt8 {
        let precisionBits: UInt32 = 7
        let destinationAlpha: UInt32 = 255, destinationValue: UInt32 = 255
        let blend = destinationAlpha * (255 - alpha)
        let outAlpha255 = alpha * 255 + blend
        let coef1 = alpha * 255 * 255 * (1 << precisionBits) / outAlpha255
        let coef2 = 255 * (1 << precisionBits) - coef1
        let mixed = value * coef1 + destinationValue * coef2 + (0x80 << precisionBits)
        // SHIFTFORDIV255(a) = ((a >> 8) + a) >> 8
        let divided = ((mixed >> 8) + mixed) >> 8
        return UInt8(truncatingIfNeeded: divided >> precisionBits)
    }
}
