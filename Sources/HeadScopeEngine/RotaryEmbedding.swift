import Foundation

/// Rotary position embedding in the "rotate half" layout of Hugging Face Llama-family models,
/// with the `default`, `linear` and `llama3` frequency schedules (others are rejected at load).
struct RotaryEmbedding {
    let inverseFrequencies: [Float]
    let headDim: Int

    init(_ config: TextConfiguration, location: String) throws {
        let dim = config.resolvedHeadDim
        let parameters = config.ropeParameters ?? config.ropeScaling
        let type = parameters?.ropeType ?? parameters?.type ?? "default"
        let theta = parameters?.ropeTheta ?? config.ropeTheta ?? 10000
        if let partial = parameters?.partialRotaryFactor, partial != 1 {
            throw EngineError(.unsupported, "partial_rotary_factor \(partial) is not supported", location: location)
        }
        // Frequencies as PyTorch computes them: fp32 base ** (2i / dim).
        var freqs: [Float] = (0..<(dim / 2)).map { i in 1 / powf(Float(theta), Float(2 * i) / Float(dim)) }
        func need(_ value: Double?, _ key: String) throws -> Double {
            guard let value else { throw EngineError(.configuration, "rope type \(type) needs \"\(key)\"", location: location) }
            return value
        }
        switch type {
        case "default":
            break
        case "linear":
            let factor = Float(try need(parameters?.factor, "factor"))
            freqs = freqs.map { $0 / factor }
        case "llama3":
            let factor = try need(parameters?.factor, "factor")
            let low = try need(parameters?.lowFreqFactor, "low_freq_factor")
            let high = try need(parameters?.highFreqFactor, "high_freq_factor")
            let old = Double(parameters?.originalMaxPositionEmbeddings ?? config.maxPositionEmbeddings ?? 8192)
            let lowWavelength = old / low, highWavelength = old / high
            freqs = freqs.map { f in
                let inv = Double(f)
                let wavelength = 2 * Double.pi / inv
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return Float(inv / factor) }
                let smooth = (old / wavelength - low) / (high - low)
                return Float((1 - smooth) * inv / factor + smooth * inv)
            }
        default:
            throw EngineError(.unsupported, "rope type \"\(type)\" is not supported (default, linear, llama3)", location: location)
        }
        inverseFrequencies = freqs
        headDim = dim
    }

    /// Cosines and sines for `rows` positions from `start`, `[rows, headDim / 2]` each, computed
    /// once per forward pass and shared by every layer's queries and keys.
    func table(start: Int, rows: Int) -> (cos: [Float], sin: [Float]) {
        let half = headDim / 2
        var cosines = [Float](repeating: 0, count: rows * half), sines = cosines
        for r in 0..<rows {
            let position = Float(start + r)
            for i in 0..<half {
                let angle = position * inverseFrequencies[i]   // fp32 product, as PyTorch
                cosines[r * half + i] = cos(angle); sines[r * half + i] = sin(angle)
            }
        }
        return (cosines, sines)
    }

    /// Rotates `heads` head slices of each of `rows` rows (row stride `rowStride`, default
    /// `heads * headDim`, so queries can be rotated inside a fused q|k|v buffer) with a table from
    /// `table(start:rows:)`; rows split across cores when there are many.
    func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, table: (cos: [Float], sin: [Float]),
               rowStride: Int? = nil) {
        let half = headDim / 2, headDim = headDim, stride = rowStride ?? heads * headDim
        table.cos.withUnsafeBufferPointer { cosines in
            table.sin.withUnsafeBufferPointer { sines in
                let pointers = UncheckedSendable(value: (x, cosines.baseAddress!, sines.baseAddress!))
                forEachRowRange(rows, costPerRow: 3 * heads * headDim) { range in
                    let (x, cosines, sines) = pointers.value
                    for r in range {
                        let c = cosines + r * half, s = sines + r * half
                        for h in 0..<heads {
                            let v = x + r * stride + h * headDim
                            for i in 0..<half {
                                let a = v[i], b = v[i + half]
                                v[i] = a * c[i] - b * s[i]
                                v[i + half] = b * c[i] + a * s[i]
                            }
                        }
                    }
                }
            }
        }
    }
}
