import HeadScopePreprocess

/// The synthetic test images of scripts/fixtures/preprocess.py, regenerated with the same integer
/// arithmetic (the fixtures store their FNV-1a hashes, not their bytes).
enum SyntheticImages {
    /// name: (width, height, layout, seed), as in the script's IMAGES table.
    static let specs: [String: (width: Int, height: Int, layout: PixelLayout, seed: UInt32)] = [
        "photo": (640, 480, .rgb, 1),
        "portrait": (333, 500, .rgba, 2),
        "small": (50, 70, .rgb, 3),
        "square": (224, 224, .rgb, 4),
    ]

    /// Every image, generated once per test run.
    private static let all = Result {
        try specs.mapValues { spec in
            try PixelImage(width: spec.width, height: spec.height, layout: spec.layout,
                           bytes: bytes(width: spec.width, height: spec.height,
                                        channels: spec.layout.channels, seed: spec.seed))
        }
    }

    static func image(_ name: String) throws -> PixelImage {
        guard let image = try all.get()[name] else { throw TestFailure("no synthetic image named \(name)") }
        return image
    }

    static func xorshift32(_ state: UInt32) -> UInt32 {
        var s = state
        s ^= s << 13
        s ^= s >> 17
        s ^= s << 5
        return s
    }

    static func bytes(width: Int, height: Int, channels: Int, seed: UInt32) -> [UInt8] {
        var s = seed &* 2654435761
        if s == 0 { s = 1 }
        let cx = width * 3 / 10, cy = height * 4 / 10, r = min(width, height) / 4
        var out = [UInt8](repeating: 0, count: width * height * channels)
        var i = 0
        for y in 0..<height {
            for x in 0..<width {
                var red = x * 255 / max(width - 1, 1)
                var green = y * 255 / max(height - 1, 1)
                var blue = (x + y) * 255 / max(width + height - 2, 1)
                let dx = x - cx, dy = y - cy
                if dx * dx + dy * dy <= r * r {
                    (red, green, blue) = (230, 40 + (x % 16) * 4, 60)
                } else if width / 2 <= x && x < width * 9 / 10 && height / 2 <= y && y < height * 8 / 10 {
                    (red, green, blue) = (30, 60, 200)
                } else if x < width / 3 && y >= height * 2 / 3 {
                    let v = (x / 3 + y / 3) % 2 == 0 ? 255 : 0
                    (red, green, blue) = (v, v, v)
                }
                for value in [red, green, blue] {
                    s = xorshift32(s)
                    out[i] = UInt8(min(255, max(0, value + Int(s >> 27) - 16)))
                    i += 1
                }
                if channels == 4 {
                    let alpha: Int
                    if y < height / 4 {
                        alpha = x * 255 / max(width - 1, 1)
                    } else if dx * dx + dy * dy <= r * r / 4 {
                        alpha = 0
                    } else if x >= width * 3 / 4 {
                        alpha = 128 + (y % 64)
                    } else {
                        alpha = 255
                    }
                    out[i] = UInt8(alpha)
                    i += 1
                }
            }
        }
        return out
    }

    /// 256 x 256 RGBA: R = x, G = 255 - x, B = (37x + 11y) mod 256, A = y.
    static func alphaRamp() throws -> PixelImage {
        var out = [UInt8](repeating: 0, count: 256 * 256 * 4)
        for y in 0..<256 {
            for x in 0..<256 {
                let i = (y * 256 + x) * 4
                out[i] = UInt8(x); out[i + 1] = UInt8(255 - x)
                out[i + 2] = UInt8((37 * x + 11 * y) % 256); out[i + 3] = UInt8(y)
            }
        }
        return try PixelImage(width: 256, height: 256, layout: .rgba, bytes: out)
    }

    static func fnv1a64(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xCBF29CE484222325
        for b in bytes { h ^= UInt64(b); h = h &* 0x100000001B3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
