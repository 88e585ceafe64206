/// Escaping for text placed in HTML or SVG, shared by the probe figures and the report.
public enum Markup {
    /// Text safe inside elements and attribute values (`& < > " '`; `'` as `&#39;`, which both
    /// HTML and XML accept).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
