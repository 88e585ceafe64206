import Foundation

/// Colour scales for the charts: sequential (scores) and diverging (signed attributions).
enum SVGColor {
    /// Categorical colours for series and bars (colour-blind friendly, Okabe-Ito order).
    static let categorical = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

    static func categorical(_ i: Int) -> String { categorical[((i % categorical.count) + categorical.count) % categorical.count] }

    /// A sequential light-yellow to dark-blue scale; `t` in 0...1 (clamped), grey for NaN.
    static func sequential(_ t: Double) -> String {
        guard t.isFinite else { return "#dddddd" }
        let stops: [(Double, Double, Double)] = [(255, 255, 217), (199, 233, 180), (65, 182, 196), (34, 94, 168), (8, 29, 88)]
        return interpolate(stops, min(max(t, 0), 1))
    }

    /// A diverging blue-white-red scale; `t` in -1...1 (clamped), grey for NaN.
    static func diverging(_ t: Double) -> String {
        guard t.isFinite else { return "#dddddd" }
        let stops: [(Double, Double, Double)] = [(33, 102, 172), (146, 197, 222), (247, 247, 247), (244, 165, 130), (178, 24, 43)]
        return interpolate(stops, (min(max(t, -1), 1) + 1) / 2)
    }

    private static func interpolate(_ stops: [(Double, Double, Double)], _ t: Double) -> String {
        let position = t * Double(stops.count - 1)
        let i = min(Int(position), stops.count - 2)
        let f = position - Double(i)
        let a = stops[i], b = stops[i + 1]
        func channel(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
    }

    /// Text colour readable on `background` (#rrggbb).
    static func text(on background: String) -> String {
        let hex = background.dropFirst()
        guard hex.count == 6, let value = Int(hex, radix: 16) else { return "#000" }
        let r = Double((value >> 16) & 255), g = Double((value >> 8) & 255), b = Double(value & 255)
        return 0.299 * r + 0.587 * g + 0.114 * b < 128 ? "#fff" : "#000"
    }
}
