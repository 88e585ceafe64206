/// Dequantization of ggml's block formats to float32, following ggml's reference C code
/// (`dequantize_row_*` in ggml-quants.c) operation for operation, so results equal it exactly.
public enum GGUFDequantize {
    /// Expands `raw` (whole blocks of `type`) into `out` (`out.count` values).
    public static func dequantize(_ raw: UnsafeRawBufferPointer, type: GGUFTensorType,
                                  into out: UnsafeMutableBufferPointer<Float>) {
        let (perBlock, blockBytes) = type.blockLayout
        let blocks = out.count / perBlock
        guard let src = raw.baseAddress, let dst = out.baseAddress else { return }
        for b in 0..<blocks {
            let block = src + b * blockBytes
            let y = dst + b * perBlock
            switch type {
            case .f32: y.pointee = block.loadUnaligned(as: Float.self)
            case .f16: y.pointee = half(block, 0)
            case .bf16: y.pointee = Float(bitPattern: UInt32(block.loadUnaligned(as: UInt16.self)) << 16)
            case .q4_0: q4_0(block, y)
            case .q4_1: q4_1(block, y)
            case .q5_0: q5_0(block, y)
            case .q5_1: q5_1(block, y)
            case .q8_0: q8_0(block, y)
            case .q4_K: q4_K(block, y)
            case .q5_K: q5_K(block, y)
            case .q6_K: q6_K(block, y)
            }
        }
    }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always)
    static func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    // MARK: 32-value blocks

    static func q4_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        for j in 0..<16 {
            let q = byte(p, 2 + j)
            y[j] = Float(Int(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    static func q4_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), m = half(p, 2)
        for j in 0..<16 {
            let q = byte(p, 4 + j)
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    static func q5_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let q = UInt32(byte(p, 6 + j))
            let h0 = ((qh >> UInt32(j)) << 4) & 0x10
            let h1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float(Int32((q & 0x0F) | h0) - 16) * d
            y[j + 16] = Float(Int32((q >> 4) | h1) - 16) * d
        }
    }

    static func q5_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), m = half(p, 2)
        let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let q = UInt32(byte(p, 8 + j))
            let h0 = ((qh >> UInt32(j)) << 4) & 0x10
            let h1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float((q & 0x0F) | h0) * d + m
            y[j + 16] = Float((q >> 4) | h1) * d + m
        }
    }

    static func q8_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        for j in 0..<32 { y[j] = Float(p.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }

    // MARK: 256-value super-blocks (k-quants)

    /// The 6-bit scale and min of sub-block `j` packed in the 12 scale bytes at `q`.
    @inline(__always)
    static func scaleMin(_ j: Int, _ q: UnsafeRawPointer) -> (Float, Float) {
        if j < 4 {
            return (Float(byte(q, j) & 63), Float(byte(q, j + 4) & 63))
        }
        let sc = (byte(q, j + 4) & 0x0F) | ((byte(q, j - 4) >> 6) << 4)
        let m = (byte(q, j + 4) >> 4) | ((byte(q, j) >> 6) << 4)
        return (Float(sc), Float(m))
    }

    static func q4_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), dmin = half(p, 2)
        let scales = p + 4
        var q = p + 16
        var out = y
        var sub = 0
        for _ in stride(from: 0, to: 256, by: 64) {
            let (sc1, m1) = scaleMin(sub, scales), (sc2, m2) = scaleMin(sub + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2
            for l in 0..<32 { out[l] = d1 * Float(byte(q, l) & 0x0F) - min1 }
            for l in 0..<32 { out[l + 32] = d2 * Float(byte(q, l) >> 4) - min2 }
            q += 32; out += 64; sub += 2
        }
    }

    static func q5_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), dmin = half(p, 2)
        let scales = p + 4, qh = p + 16
        var ql = p + 48
        var out = y
        var sub = 0
        var u1: UInt8 = 1, u2: UInt8 = 2
        for _ in stride(from: 0, to: 256, by: 64) {
            let (sc1, m1) = scaleMin(sub, scales), (sc2, m2) = scaleMin(sub + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2
            for l in 0..<32 {
                let high: Float = byte(qh, l) & u1 != 0 ? 16 : 0
                out[l] = d1 * (Float(byte(ql, l) & 0x0F) + high) - min1
            }
            for l in 0..<32 {
                let high: Float = byte(qh, l) & u2 != 0 ? 16 : 0
                out[l + 32] = d2 * (Float(byte(ql, l) >> 4) + high) - min2
            }
            ql += 32; out += 64; sub += 2
            u1 <<= 2; u2 <<= 2
        }
    }

    static func q6_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 208)
        var ql = p, qh = p + 128, sc = p + 192
        var out = y
        for _ in stride(from: 0, to: 256, by: 128) {
            for l in 0..<32 {
                let s = l / 16
                let h = byte(qh, l)
                let q1 = Int(byte(ql, l) & 0x0F | ((h >> 0) & 3) << 4) - 32
                let q2 = Int(byte(ql, l + 32) & 0x0F | ((h >> 2) & 3) << 4) - 32
                let q3 = Int(byte(ql, l) >> 4 | ((h >> 4) & 3) << 4) - 32
                let q4 = Int(byte(ql, l + 32) >> 4 | ((h >> 6) & 3) << 4) - 32
                out[l] = d * Float(sc.load(fromByteOffset: s, as: Int8.self)) * Float(q1)
                out[l + 32] = d * Float(sc.load(fromByteOffset: s + 2, as: Int8.self)) * Float(q2)
                out[l + 64] = d * Float(sc.load(fromByteOffset: s + 4, as: Int8.self)) * Float(q3)
                out[l + 96] = d * Float(sc.load(fromByteOffset: s + 6, as: Int8.self)) * Float(q4)
            }
            out += 128; ql += 64; qh += 32; sc += 8
        }
    }
}
