import CImageCodecs
import Foundation

/// The container formats the decoders understand, told apart by their signatures.
public enum ImageFileFormat: String, Sendable, Hashable {
    case png
    case jpeg

    /// Recognizes PNG and JPEG by their first bytes (not by file extension, which can lie).
    public init?(sniffing data: Data) {
        let prefix = [UInt8](data.prefix(8))
        if prefix.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if prefix.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else {
            return nil
        }
    }
}

extension RasterImage {
    /// The default cap on decoded pixels (width x height): 2^28, about 16k x 16k. A header can
    /// claim any size; the cap stops a small hostile file from asking for gigabytes.
    public static let defaultMaxPixels = 1 << 28

    /// Decodes a PNG or JPEG file, chosen by its signature.
    ///
    /// PNG: palettes expand to RGB, or RGBA when the file has a tRNS chunk; a gray or RGB tRNS
    /// colour key becomes an alpha channel (what Pillow's `convert("RGBA")` does with it);
    /// 1/2/4-bit gray scales to 0...255 as Pillow's "L" does; 16-bit samples keep their high byte.
    /// For 16-bit RGB(A) and gray+alpha that is what Pillow gives; 16-bit gray, which Pillow opens
    /// as mode "I;16", is also reduced to its high byte (Pillow's own `convert("L")` would clip
    /// values above 255 to 255 instead, which loses the image). Gamma and colour profiles are
    /// ignored, as Pillow ignores them.
    /// JPEG: gray stays gray, YCbCr/RGB becomes RGB, decoded with libjpeg's defaults (islow DCT,
    /// fancy upsampling) like Pillow; CMYK is refused.
    public init(contentsOf url: URL, maxPixels: Int = RasterImage.defaultMaxPixels) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageIOError(name: url.path, reason: .fileSystem,
                               detail: "cannot read the file (\(error.localizedDescription))")
        }
        try self.init(data: data, name: url.path, maxPixels: maxPixels)
    }

    /// Decodes PNG or JPEG bytes; `name` (a path, an archive entry) is used in error messages.
    public init(data: Data, name: String, maxPixels: Int = RasterImage.defaultMaxPixels) throws {
        guard let kind = ImageFileFormat(sniffing: data) else {
            let detail = data.isEmpty ? "the file is empty"
                : "starts with bytes " + data.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw ImageIOError(name: name, reason: .unknownFormat, detail: detail)
        }
        try self.init(data: data, format: kind, name: name, maxPixels: maxPixels)
    }

    /// Decodes bytes known to be in `format`.
    public init(data: Data, format kind: ImageFileFormat, name: String,
                maxPixels: Int = RasterImage.defaultMaxPixels) throws {
        var decoded = hs_decoded_image()
        var message = [CChar](repeating: 0, count: Int(HS_CODEC_ERROR_CAPACITY))
        let limit = UInt64(max(0, maxPixels))
        let status: Int32 = data.withUnsafeBytes { raw in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return -2 }
            return message.withUnsafeMutableBufferPointer { buffer in
                switch kind {
                case .png: hs_png_decode(base, raw.count, limit, &decoded, buffer.baseAddress)
                case .jpeg: hs_jpeg_decode(base, raw.count, limit, &decoded, buffer.baseAddress)
                }
            }
        }
        defer { hs_codec_free(decoded.pixels) }
        guard status == 0 else {
            let text = status == -2 ? "the file is empty"
                : String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageIOError(name: name, reason: .decodingFailed,
                               detail: "\(kind.rawValue.uppercased()): " + text)
        }
        guard let pixelFormat = PixelFormat(channels: Int(decoded.channels)),
              let source = decoded.pixels else {
            throw ImageIOError(name: name, reason: .decodingFailed,
                               detail: "decoder returned \(decoded.channels) channels")
        }
        let width = Int(decoded.width), height = Int(decoded.height)
        let count = width * height * pixelFormat.channels
        let pixels = [UInt8](UnsafeBufferPointer(start: source, count: count))
        self.init(unchecked: width, height, pixelFormat, pixels)
    }
}
