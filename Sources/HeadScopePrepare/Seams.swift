import Foundation

// Temporary until HeadScopeCore's ContentHash is merged.
enum Seams {
    static func sha256(_ string: String) throws -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in string.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return String(h, radix: 16)
    }
}
