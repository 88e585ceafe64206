/// Draws CogShapes scenes with integer-only, supersampled (4 x 4) anti-aliasing, and the object
/// label map that later stages use as masks.
///
/// Integer arithmetic keeps every pixel identical across machines and compilers; coordinates are
/// in eighths of a pixel so that sample points sit at odd eighths inside each pixel.
public enum CogShapesRenderer {
    /// The rendered scene: interleaved RGB bytes and a label map (0 = background, k = object k-1).
    public struct Raster: Equatable, Sendable {
        public var width: Int
        public var height: Int
        public var rgb: [UInt8]
        public var labels: [UInt8]
    }

    public static func render(_ scene: CogShapesScene) -> Raster {
        let side = CogShapesScene.side
        var rgb = [UInt8](repeating: 0, count: side * side * 3)
        let bg = CogShapesVocabulary.background
        for p in 0..<(side * side) {
            rgb[3 * p] = bg.0; rgb[3 * p + 1] = bg.1; rgb[3 * p + 2] = bg.2
        }
        var labels = [UInt8](repeating: 0, count: side * side)
        for (k, object) in scene.objects.enumerated() {
            let color = CogShapesVocabulary.rgb(object.color)
            let box = object.boundingBox
            let inside = coverageTest(object)
            // Pixels whose centre is far outside the circumcircle or deep inside the inscribed
            // circle skip sampling; every sample lies within 4.3 eighths of its pixel's centre, so
            // a margin of 6 eighths gives exactly what sampling would.
            let cx = object.centerX * 8 + 4, cy = object.centerY * 8 + 4
            let outer = object.radius * 8 * 1060 / 1024 + 6  // a square's corners reach 1.022 r
            let inner = max(0, inscribedRadius(object) - 6)
            for y in box[1]..<box[3] {
                for x in box[0]..<box[2] {
                    let dx = x * 8 + 4 - cx, dy = y * 8 + 4 - cy
                    let d2 = dx * dx + dy * dy
                    if d2 > outer * outer { continue }
                    var covered = 0
                    if d2 < inner * inner {
                        covered = 16
                    } else {
                        for sy in 0..<4 {
                            for sx in 0..<4 where inside(x * 8 + sx * 2 + 1, y * 8 + sy * 2 + 1) {
                                covered += 1
                            }
                        }
                    }
                    if covered == 0 { continue }
                    let p = (y * side + x) * 3
                    rgb[p] = blend(rgb[p], color.0, covered)
                    rgb[p + 1] = blend(rgb[p + 1], color.1, covered)
                    rgb[p + 2] = blend(rgb[p + 2], color.2, covered)
                    if covered >= 8 { labels[y * side + x] = UInt8(k + 1) }
                }
            }
        }
        return Raster(width: side, height: side, rgb: rgb, labels: labels)
    }

    private static func blend(_ under: UInt8, _ over: UInt8, _ covered: Int) -> UInt8 {
        UInt8((Int(under) * (16 - covered) + Int(over) * covered + 8) / 16)
    }

    /// A radius (in eighths of a pixel) of a circle about the centre that lies inside the shape.
    static func inscribedRadius(_ o: CogShapesScene.Object) -> Int {
        let r = o.radius * 8
        switch o.shape {
        case "square": return r * 740 / 1024
        case "triangle": return r / 2 - 1
        case "star": return r * 350 / 1024   // the edges pass 0.37 r from the centre
        default: return r - 4
        }
    }

    /// cos and sin times 1024 at -90 + 36k degrees, k = 0..9 (star vertices, outer then inner).
    private static let starDirections: [(Int, Int)] = [
        (0, -1024), (602, -828), (974, -316), (974, 316), (602, 828),
        (0, 1024), (-602, 828), (-974, 316), (-974, -316), (-602, -828),
    ]

    /// A point-in-shape test in eighth-pixel coordinates.
    static func coverageTest(_ o: CogShapesScene.Object) -> (Int, Int) -> Bool {
        let cx = o.centerX * 8 + 4, cy = o.centerY * 8 + 4, r = o.radius * 8
        switch o.shape {
        case "square":
            let h = r * 740 / 1024
            return { x, y in abs(x - cx) <= h && abs(y - cy) <= h }
        case "triangle":
            let a = (cx, cy - r), b = (cx + r * 887 / 1024, cy + r / 2), c = (cx - r * 887 / 1024, cy + r / 2)
            return { x, y in inTriangle((x, y), a, b, c) }
        case "star":
            let vertices = starDirections.enumerated().map { k, d -> (Int, Int) in
                let scale = k % 2 == 0 ? 1024 : 440
                return (cx + r * d.0 * scale / (1024 * 1024), cy + r * d.1 * scale / (1024 * 1024))
            }
            return { x, y in
                for k in 0..<10 where inTriangle((x, y), (cx, cy), vertices[k], vertices[(k + 1) % 10]) {
                    return true
                }
                return false
            }
        default: // circle
            let rr = Int64(r - 4) * Int64(r - 4)
            return { x, y in
                let dx = Int64(x - cx), dy = Int64(y - cy)
                return dx * dx + dy * dy <= rr
            }
        }
    }

    private static func inTriangle(_ p: (Int, Int), _ a: (Int, Int), _ b: (Int, Int), _ c: (Int, Int)) -> Bool {
        func edge(_ u: (Int, Int), _ v: (Int, Int)) -> Int {
            (v.0 - u.0) * (p.1 - u.1) - (v.1 - u.1) * (p.0 - u.0)
        }
        let d1 = edge(a, b), d2 = edge(b, c), d3 = edge(c, a)
        let negative = d1 < 0 || d2 < 0 || d3 < 0
        let positive = d1 > 0 || d2 > 0 || d3 > 0
        return !(negative && positive)
    }
}
