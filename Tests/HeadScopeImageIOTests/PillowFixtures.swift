import Foundation
import TestSupport

/// Images written by Pillow (or, where Pillow cannot write the kind, by a few lines of Python
/// with zlib + struct), together with the pixels Pillow decodes from them, dumped as raw bytes.
/// Built once per test run in a scratch directory.
enum PillowFixtures {
    /// One image file and what Pillow makes of it.
    struct Case: Decodable {
        var file: String
        /// Pillow's mode for the opened file ("RGBA", "P", "I;16", ...).
        var mode: String
        var width: Int
        var height: Int
        /// Raw dumps of `im.convert(key)`, keyed by Pillow mode ("L", "LA", "RGB", "RGBA"), plus
        /// "composite" for transformers' convert_to_rgb and "high_byte" for 16-bit gray.
        var dumps: [String: String]
    }

    static let directory: Result<URL, Error> = Result { try generate() }

    static func load() throws -> (URL, [String: Case]) {
        let dir = try directory.get()
        let json = try Data(contentsOf: dir.appendingPathComponent("cases.json"))
        return (dir, try JSONDecoder().decode([String: Case].self, from: json))
    }

    private static func generate() throws -> URL {
        let dir = try TestSupport.scratchDirectory("pillow-images")
        try TestSupport.python(script, [dir.path])
        return dir
    }

    static let script = #"""
import json, os, struct, sys, zlib
import numpy as np
from PIL import Image

out = sys.argv[1]
rng = np.random.default_rng(1234)
cases = {}

def smooth(h, w, c):
    # A smooth gradient plus noise: JPEG blocks then carry real detail and chroma.
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 // max(w - 1, 1) + k * 60 + y * 3) % 256 for k in range(c)], -1)
    noise = rng.integers(-40, 40, size=(h, w, c))
    return np.clip(base + noise, 0, 255).astype(np.uint8)

def composite(im):
    # transformers.image_transforms.convert_to_rgb
    if im.mode == "RGB":
        return im
    rgba = im.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")

def record(name, path, modes=("L", "LA", "RGB", "RGBA"), extra=None):
    im = Image.open(path)
    im.load()
    dumps = {}
    for m in modes:
        raw = f"{name}.{m}.raw"
        with open(os.path.join(out, raw), "wb") as f:
            f.write(im.convert(m).tobytes())
        dumps[m] = raw
    if modes:
        raw = f"{name}.composite.raw"
        with open(os.path.join(out, raw), "wb") as f:
            f.write(composite(im).tobytes())
        dumps["composite"] = raw
    for key, data in (extra or {}).items():
        raw = f"{name}.{key}.raw"
        with open(os.path.join(out, raw), "wb") as f:
            f.write(data)
        dumps[key] = raw
    cases[name] = dict(file=os.path.basename(path), mode=im.mode, width=im.width,
                       height=im.height, dumps=dumps)

def path(name):
    return os.path.join(out, name)

def write_png(name, width, height, bit_depth, color_type, rows):
    # Minimal PNG writer for the kinds Pillow does not write (16-bit RGB/RGBA, 2/4-bit gray).
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + r for r in rows)
    data = (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    with open(path(name), "wb") as f:
        f.write(data)

# 8-bit PNGs written by Pillow. Alpha covers every value 0...255 for the composite check.
rgba = rng.integers(0, 256, size=(16, 17, 4), dtype=np.uint8)
rgba[..., 3].flat[:256] = np.arange(256, dtype=np.uint8)
Image.fromarray(rgba, "RGBA").save(path("rgba.png")); record("rgba", path("rgba.png"))
Image.fromarray(smooth(9, 11, 3), "RGB").save(path("rgb.png")); record("rgb", path("rgb.png"))
Image.fromarray(smooth(9, 11, 1)[..., 0], "L").save(path("gray.png")); record("gray", path("gray.png"))
Image.fromarray(rng.integers(0, 256, size=(10, 7, 2), dtype=np.uint8), "LA").save(path("la.png"))
record("la", path("la.png"))

palette = rng.integers(0, 256, size=(16 * 3,), dtype=np.uint8).tobytes()
indices = rng.integers(0, 16, size=(12, 13), dtype=np.uint8)
p = Image.fromarray(indices, "P"); p.putpalette(palette)
p.save(path("palette.png")); record("palette", path("palette.png"))
alphas = bytes(rng.integers(0, 256, size=(16,), dtype=np.uint8).tolist())
p.save(path("palette_trns.png"), transparency=alphas); record("palette_trns", path("palette_trns.png"))

gray = smooth(8, 9, 1)[..., 0]
Image.fromarray(gray, "L").save(path("gray_trns.png"), transparency=int(gray[0, 0]))
record("gray_trns", path("gray_trns.png"))

bits = rng.integers(0, 2, size=(7, 19), dtype=np.uint8) * 255
Image.fromarray(bits, "L").convert("1").save(path("gray1.png")); record("gray1", path("gray1.png"))
for depth in (2, 4):
    levels = rng.integers(0, 1 << depth, size=(5, 11), dtype=np.uint8)
    rows = []
    for r in levels:
        acc, n, row = 0, 0, bytearray()
        for v in r:
            acc = (acc << depth) | int(v); n += depth
            if n == 8: row.append(acc); acc, n = 0, 0
        if n: row.append(acc << (8 - n))
        rows.append(bytes(row))
    write_png(f"gray{depth}.png", 11, 5, depth, 0, rows)
    record(f"gray{depth}", path(f"gray{depth}.png"))

# 16-bit gray: Pillow opens it as I;16; the check is against the high byte of its values.
g16 = rng.integers(0, 65536, size=(6, 10), dtype=np.uint16)
Image.fromarray(g16).save(path("gray16.png"))
im16 = Image.open(path("gray16.png")); values = np.array(im16)
assert im16.mode == "I;16", im16.mode
record("gray16", path("gray16.png"), modes=(),
       extra={"high_byte": (values >> 8).astype(np.uint8).tobytes()})

for name, channels, color_type in (("rgb16", 3, 2), ("rgba16", 4, 6)):
    v = rng.integers(0, 65536, size=(6, 7, channels), dtype=np.uint16)
    write_png(f"{name}.png", 7, 6, 16, color_type, [r.astype(">u2").tobytes() for r in v])
    record(name, path(f"{name}.png"),
           extra={"high_byte": (v >> 8).astype(np.uint8).tobytes()})

# JPEGs: odd sizes so the chroma upsampling meets partial blocks.
Image.fromarray(smooth(37, 45, 3), "RGB").save(path("rgb444.jpg"), quality=90, subsampling=0)
Image.fromarray(smooth(37, 45, 3), "RGB").save(path("rgb422.jpg"), quality=90, subsampling=1)
Image.fromarray(smooth(37, 45, 3), "RGB").save(path("rgb420.jpg"), quality=90, subsampling=2)
Image.fromarray(smooth(33, 50, 3), "RGB").save(path("progressive.jpg"), quality=90, progressive=True)
Image.fromarray(smooth(29, 31, 1)[..., 0], "L").save(path("gray.jpg"), quality=90)
for name in ("rgb444", "rgb422", "rgb420", "progressive"):
    record(name, path(f"{name}.jpg"))
record("gray_jpeg", path("gray.jpg"))
Image.fromarray(smooth(16, 16, 4), "CMYK").save(path("cmyk.jpg"), quality=90)

with open(os.path.join(out, "cases.json"), "w") as f:
    json.dump(cases, f, indent=1)
"""#
}
