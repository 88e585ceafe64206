/// A JSON string literal for text, shared by the writers that build JSON by hand (the prepared
/// dataset's ordered JSON, the bench's result lines) so both escape the same way.
public enum JSONText {
    /// `s` in double quotes with quotes, backslashes and control characters escaped (RFC 8259).
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
