import Foundation

/// The activation functions the supported architectures name in their configs (`hidden_act`,
/// `projector_hidden_act`), with PyTorch's definitions.
enum Activation: String {
    /// Exact GELU, `x * (1 + erf(x / sqrt 2)) / 2` (`gelu`).
    case gelu
    /// The tanh approximation (`gelu_pytorch_tanh`, `gelu_new`, `gelu_fast` differ only in rounding).
    case geluTanh = "gelu_pytorch_tanh"
    /// `x * sigmoid(1.702 x)`, CLIP's original activation.
    case quickGelu = "quick_gelu"
    /// `x * sigmoid(x)` (`silu` / `swish`).
    case silu
    case relu

    init(named name: String, location: String) throws {
        switch name {
        case "gelu": self = .gelu
        case "gelu_pytorch_tanh", "gelu_new": self = .geluTanh
        case "quick_gelu": self = .quickGelu
        case "silu", "swish": self = .silu
        case "relu": self = .relu
        default:
            throw EngineError(.unsupported, "activation \"\(name)\" is not supported (gelu, gelu_pytorch_tanh, gelu_new, quick_gelu, silu, relu)", location: location)
        }
    }

    /// Applies the activation in place to `count` values.
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu:
            for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + erf(v * 0.70710678)) }
        case .geluTanh:
            let c: Float = 0.7978845608028654
            for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + tanh(c * (v + 0.044715 * v * v * v))) }
        case .quickGelu:
            sigmoidGate(x, count, k: 1.702)
        case .silu:
            sigmoidGate(x, count, k: 1)
        case .relu:
            for i in 0..<count { x[i] = max(0, x[i]) }
        }
    }

    /// The gated MLP product `act(gate) * up` from rows laid out `[gate | up]` (`width` each).
    func gated(_ gateUp: UnsafePointer<Float>, rows: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
        let pointers = UncheckedSendable(value: (gateUp, out))
        forEachRowRange(rows, costPerRow: 8 * width) { range in
            let (gateUp, out) = pointers.value
            for r in range {
                let o = out + r * width
                o.update(from: gateUp + r * 2 * width, count: width)
                apply(o, count: width)
                let up = gateUp + r * 2 * width + width
                for j in 0..<width { o[j] *= up[j] }
            }
        }
    }

    /// `apply` over `rows` rows of `width` values, split across cores when large.
    func apply(rows x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let pointer = UncheckedSendable(value: x)
        forEachRowRange(rows, costPerRow: 8 * width) { range in
            apply(pointer.value + range.lowerBound * width, count: range.count * width)
        }
    }
}
