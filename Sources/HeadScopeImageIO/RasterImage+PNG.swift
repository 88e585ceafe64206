import CImageCodecs
import Foundation

extension RasterImage {
    /// Encodes the image as an 8-bit, non-interlaced PNG of its own format (gray, gray+alpha,
    /// RGB or RGBA); decoding it gives back exactly these pixels.
    public func pngData() throws -> Data {
        guard width > 0, height > 0, width <= Int(UInt32.max), height <= Int(UInt32.max) else {
            throw ImageIOError(name: "<pixels>", reason: .encodingFailed,
                               detail: "PNG needs a size between 1x1 and 2^31-1 per side, "
                                   + "not \(width)x\(height)")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(HS_CODEC_ERROR_CAPACITY))
        let status = pixels.withUnsafeBufferPointer { samples in
            message.withUnsafeMutableBufferPointer { buffer in
                hs_png_encode(samples.baseAddress, UInt32(width), UInt32(height),
                              Int32(format.channels), &output, &size, buffer.baseAddress)
            }
        }
        defer { hs_codec_free(output) }
        guard status == 0, let output else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                              as: UTF8.self)
            throw ImageIOError(name: "<pixels>", reason: .encodingFailed, detail: text)
        }
        return Data(bytes: output, count: size)
    }

    /// Writes the image as PNG to `url`, through a temporary file in the same directory renamed
    /// into place, so a failure never leaves a half-written image behind.
    public func writePNG(to url: URL) throws {
        let data: Data
        do {
            data = try pngData()
        } catch var error as ImageIOError {
            error.name = url.path
            throw error
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ImageIOError(name: url.path, reason: .fileSystem,
                               detail: "cannot write the PNG (\(error.localizedDescription))")
        }
    }
}
