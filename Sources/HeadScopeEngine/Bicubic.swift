/// Bicubic resampling of a `[channels, height, width]` grid exactly as PyTorch's
/// `interpolate(mode="bicubic", align_corners=False)` (cubic convolution with A = -0.75, source
/// coordinates `(dst + 0.5) * in / out - 0.5`, border indices clamped), used to resize position
/// embeddings when an image's patch grid differs from the trained one.
func bicubicResize(_ input: [Float], channels: Int, height: Int, width: Int,
                   toHeight outHeight: Int, toWidth outWidth: Int) -> [Float] {
    func weights(_ t: Float) -> [Float] {
        let a: Float = -0.75
        func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return [far(t + 1), near(t), near(1 - t), far(2 - t)]
    }
    func taps(_ outSize: Int, _ inSize: Int) -> [(indices: [Int], weights: [Float])] {
        let scale = Float(inSize) / Float(outSize)
        return (0..<outSize).map { o in
            let source = scale * (Float(o) + 0.5) - 0.5
            let floor = source.rounded(.down)
            let t = source - floor
            let base = Int(floor)
            let idx = (-1...2).map { min(max(base + $0, 0), inSize - 1) }
            return (idx, weights(t))
        }
    }
    let ys = taps(outHeight, height), xs = taps(outWidth, width)
    var output = [Float](repeating: 0, count: channels * outHeight * outWidth)
    for c in 0..<channels {
        let plane = c * height * width
        for oy in 0..<outHeight {
            let (yi, yw) = ys[oy]
            for ox in 0..<outWidth {
                let (xi, xw) = xs[ox]
                var value: Float = 0
                for a in 0..<4 {
                    var row: Float = 0
                    for b in 0..<4 { row += input[plane + yi[a] * width + xi[b]] * xw[b] }
                    value += row * yw[a]
                }
                output[(c * outHeight + oy) * outWidth + ox] = value
            }
        }
    }
    return output
}
