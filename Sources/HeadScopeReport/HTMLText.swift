import HeadScopeCore
import Foundation

/// Escaping and number formatting shared by the HTML, the SVG charts and the text summary, so
/// the report and `summary.txt` print a number the same way.
public enum ReportFormat {
    /// Text safe inside HTML/SVG elements and attribute values.
    public static func escape(_ text: String) -> String { Markup.escape(text) }

    /// Three decimals (`0.812`), `n/a` for NaN or infinity.
    public static func fixed(_ x: Double, digits: Int = 3) -> String {
        x.isFinite ? String(format: "%.\(digits)f", x) : "n/a"
    }

    /// Signed three decimals (`+0.125`, `-0.500`).
    public static func signed(_ x: Double) -> String {
        x.isFinite ? String(format: "%+.3f", x) : "n/a"
    }

    /// A 95% interval as `[low, high]`.
    public static func interval(_ low: Double, _ high: Double, signed: Bool = false) -> String {
        signed ? "[\(Self.signed(low)), \(Self.signed(high))]" : "[\(fixed(low)), \(fixed(high))]"
    }

    /// A share as a percentage with one decimal (`41.7%`).
    public static func percent(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "n/a" }
        return String(format: "%.1f%%", x * 100)
    }

    /// A short hash for tables (`3f2a9c01…`); the full value goes in the title attribute.
    public static func shortHash(_ hash: String) -> String {
        hash.count > 12 ? String(hash.prefix(12)) + "…" : hash
    }

    /// An identifier for `id`/anchor use: lowercase letters, digits and `-`.
    public static func slug(_ text: String) -> String {
        var slug = ""
        for scalar in text.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty && !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "x" : slug
    }
}

/// Small builders for the report's HTML, so sections stay readable.
enum HTML {
    /// `<table>` with a header row and body rows of already-escaped cell HTML; `rowAttributes`
    /// gives each row its `data-*` attributes (the end-to-end test finds rows by them).
    static func table(header: [String], rows: [[String]], rowAttributes: [String]? = nil, id: String? = nil,
                      numericFrom: Int = 1) -> String {
        var out = "<table\(id.map { " id=\"\($0)\"" } ?? "")><thead><tr>"
        for (i, cell) in header.enumerated() { out += i >= numericFrom ? "<th class=\"num\">\(escape(cell))</th>" : "<th>\(escape(cell))</th>" }
        out += "</tr></thead><tbody>\n"
        for (r, row) in rows.enumerated() {
            let attributes = rowAttributes.map { " " + $0[r] } ?? ""
            out += "<tr\(attributes)>"
            for (i, cell) in row.enumerated() { out += i >= numericFrom ? "<td class=\"num\">\(cell)</td>" : "<td>\(cell)</td>" }
            out += "</tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    static func escape(_ text: String) -> String { ReportFormat.escape(text) }

    /// A cell holding a number: the visible text plus its key for the tests (`data-key`).
    static func number(_ key: String, _ text: String) -> String {
        "<span data-key=\"\(escape(key))\">\(escape(text))</span>"
    }

    /// The "read from" line under a table or chart.
    static func source(_ files: [String]) -> String {
        "<p class=\"source\">Read from: " + files.map { "<code>\(escape($0))</code>" }.joined(separator: ", ") + "</p>\n"
    }

    /// A figure: inline SVG with a caption (none when empty).
    static func figure(_ svg: String, caption: String) -> String {
        caption.isEmpty ? "<figure>\(svg)</figure>\n" : "<figure>\(svg)<figcaption>\(escape(caption))</figcaption></figure>\n"
    }
}
