import Foundation

/// A Pillow resampling filter, numbered as `PIL.Image.Resampling` (and the `resample` key of
/// `preprocessor_config.json`).
public enum ResamplingFilter: Int, Sendable, Hashable, CaseIterable, Codable {
    case nearest = 0
    case lanczos = 1
    case bilinear = 2
    case bicubic = 3
    case box = 4
    case hamming = 5

    /// The filter's name as Pillow spells it.
    public var name: String {
        switch self {
        case .nearest: return "NEAREST"
        case .lanczos: return "LANCZOS"
        case .bilinear: return "BILINEAR"
        case .bicubic: return "BICUBIC"
        case .box: return "BOX"
        case .hamming: return "HAMMING"
        }
    }

    /// Half-width of the kernel in source pixels at scale 1 (Pillow's `support`).
    var support: Double? {
        switch self {
        case .nearest: return nil
        case .box: return 0.5
        case .bilinear, .hamming: return 1.0
        case .bicubic: return 2.0
        case .lanczos: return 3.0
        }
    }

    /// The kernel, written as in Pillow's Resample.c so the doubles come out identical.
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest:
            return 0
        case .box:
            return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0
        case .bilinear:
            let x = abs(x)
            return x < 1.0 ? 1.0 - x : 0.0
        case .hamming:
            let x = abs(x)
            if x == 0.0 { return 1.0 }
            if x >= 1.0 { return 0.0 }
            let t = x * Double.pi
            // C promotes the float constants 0.54f and 0.46f to double.
            return sin(t) / t * (Double(Float(0.54)) + Double(Float(0.46)) * cos(t))
        case .bicubic:
            let a = -0.5
            let x = abs(x)
            if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0.0
        case .lanczos:
            if -3.0 <= x && x < 3.0 { return Self.sinc(x) * Self.sinc(x / 3) }
            return 0.0
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0.0 { return 1.0 }
        let t = x * Double.pi
        return sin(t) / t
    }
}
