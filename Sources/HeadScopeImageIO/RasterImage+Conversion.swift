extension RasterImage {
    /// The image in another pixel format, with Pillow's `Image.convert(mode)` arithmetic.
    ///
    /// Gray replicates into R, G and B; alpha is dropped when the target has none and set to 255
    /// when the source has none; colour to gray uses Pillow's ITU-R 601-2 luma in 16-bit fixed
    /// point, `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`. Alpha is never composited here: see
    /// ``compositedOnWhite()`` for that.
    public func converted(to target: PixelFormat) -> RasterImage {
        if target == format { return self }
        let count = width * height
        let sourceChannels = format.channels
        var out = [UInt8](repeating: 0, count: count * target.channels)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    let s = i * sourceChannels
                    let r, g, b, a: UInt8
                    switch format {
                    case .gray: (r, g, b, a) = (src[s], src[s], src[s], 255)
                    case .grayAlpha: (r, g, b, a) = (src[s], src[s], src[s], src[s + 1])
                    case .rgb: (r, g, b, a) = (src[s], src[s + 1], src[s + 2], 255)
                    case .rgba: (r, g, b, a) = (src[s], src[s + 1], src[s + 2], src[s + 3])
                    }
                    let d = i * target.channels
                    switch target {
                    case .gray:
                        dst[d] = format.channels >= 3 ? Self.luma(r, g, b) : r
                    case .grayAlpha:
                        dst[d] = format.channels >= 3 ? Self.luma(r, g, b) : r
                        dst[d + 1] = a
                    case .rgb:
                        (dst[d], dst[d + 1], dst[d + 2]) = (r, g, b)
                    case .rgba:
                        (dst[d], dst[d + 1], dst[d + 2], dst[d + 3]) = (r, g, b, a)
                    }
                }
            }
        }
        return RasterImage(unchecked: width, height, target, out)
    }

    /// The image as RGB, alpha composited onto an opaque white background.
    ///
    /// This is transformers' `convert_to_rgb` (`Image.alpha_composite` of the RGBA image over
    /// white, then `convert("RGB")`), which the Hugging Face image processors apply before
    /// resizing; an RGB image comes back unchanged. The arithmetic is Pillow's integer
    /// `alpha_composite` (7 extra bits of precision, divisions by 255 rounded with shifts), so
    /// the bytes match Pillow's exactly.
    public func compositedOnWhite() -> RasterImage {
        switch format {
        case .rgb: return self
        case .gray: return converted(to: .rgb)
        case .grayAlpha, .rgba: break
        }
        let rgba = converted(to: .rgba)
        let count = width * height
        var out = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            let alpha = UInt32(rgba.pixels[i * 4 + 3])
            for c in 0..<3 {
                out[i * 3 + c] = Self.compositeOverWhite(UInt32(rgba.pixels[i * 4 + c]), alpha: alpha)
            }
        }
        return RasterImage(unchecked: width, height, .rgb, out)
    }

    /// Pillow's luma for RGB to L (Convert.c, `L24`).
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (UInt32(r) * 19595 + UInt32(g) * 38470 + UInt32(b) * 7471
            + 0x8000) >> 16)
    }

    /// One channel of Pillow's `ImagingAlphaComposite` with an opaque white destination.
    ///
    /// Pillow's general form, with dst = (255, 255) and src = (value, alpha):
    /// `blend = dstA * (255 - srcA)`, `outA255 = srcA * 255 + blend`,
    /// `coef1 = srcA * 255 * 255 * 2^7 / outA255`, `coef2 = 255 * 2^7 - coef1`,
    /// `out = div255(src * coef1 + dst * coef2 + (0x80 << 7)) >> 7` with
    /// `div255(x) = ((x >> 8) + x) >> 8`; a fully transparent source leaves dst (255).
    @inline(__always)
    static func compositeOverWhite(_ value: UInt32, alpha: UInt32) -> UInt8 {
        if alpha == 0 { return 255 }
        let precisionBits: UInt32 = 7
        let destinationAlpha: UInt32 = 255, destination: UInt32 = 255
        let blend = destinationAlpha * (255 - alpha)
        let outAlpha255 = alpha * 255 + blend
        let coef1 = alpha * 255 * 255 * (1 << precisionBits) / outAlpha255
        let coef2 = 255 * (1 << precisionBits) - coef1
        let mixed = value * coef1 + destination * coef2 + (0x80 << precisionBits)
        let divided = ((mixed >> 8) + mixed) >> 8
        return UInt8(truncatingIfNeeded: divided >> precisionBits)
    }
}
