extension PixelImage {
    /// The central `height` x `width` region, padded with zeros where the crop reaches past the image.
    ///
    /// Matches transformers' `center_crop`: the top-left corner is
    /// `floor((imageHeight - height) / 2)`, `floor((imageWidth - width) / 2)` (Python's floor
    /// division, so it is negative when the crop is larger), and the parts of the crop outside the
    /// image are black, with the image placed `ceil` of half the excess from the top/left.
    public func centerCropped(height cropHeight: Int, width cropWidth: Int) throws -> PixelImage {
        guard cropHeight > 0, cropWidth > 0 else {
            throw PreprocessError.invalidImage("crop size \(cropHeight)x\(cropWidth) (height x width): both must be positive")
        }
        if cropHeight == height && cropWidth == width { return self }
        let top = Self.floorDivide(height - cropHeight, 2)
        let left = Self.floorDivide(width - cropWidth, 2)
        let c = channels
        var out = [UInt8](repeating: 0, count: cropHeight * cropWidth * c)
        // Source columns that land inside the crop.
        let firstColumn = max(0, -left), lastColumn = min(cropWidth, width - left)
        if firstColumn < lastColumn {
            bytes.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<cropHeight {
                        let sy = y + top
                        guard sy >= 0 && sy < height else { continue }
                        let s = (sy * width + left + firstColumn) * c
                        let d = (y * cropWidth + firstColumn) * c
                        let n = (lastColumn - firstColumn) * c
                        for i in 0..<n { dst[d + i] = src[s + i] }
                    }
                }
            }
        }
        return PixelImage(unchecked: cropWidth, cropHeight, layout, out)
    }

    /// The image centred on a square canvas of its longer side, filled with `fill` elsewhere.
    ///
    /// Matches `LlavaImageProcessor.pad_to_square` (LLaVA-1.5's `expand2square`): the offset is
    /// `(longer - shorter) // 2`, and `fill` holds one byte per channel.
    public func paddedToSquare(fill: [UInt8]) throws -> PixelImage {
        guard fill.count == channels else {
            throw PreprocessError.invalidImage("pad colour has \(fill.count) values for a \(channels)-channel image")
        }
        if width == height { return self }
        let side = max(width, height), c = channels
        var out = [UInt8](repeating: 0, count: side * side * c)
        for p in 0..<(side * side) { for ch in 0..<c { out[p * c + ch] = fill[ch] } }
        let top = (side - height) / 2, left = (side - width) / 2
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let s = y * width * c, d = ((y + top) * side + left) * c
                    for i in 0..<(width * c) { dst[d + i] = src[s + i] }
                }
            }
        }
        return PixelImage(unchecked: side, side, layout, out)
    }

    /// Python's `//` for integers: rounds toward negative infinity.
    static func floorDivide(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
