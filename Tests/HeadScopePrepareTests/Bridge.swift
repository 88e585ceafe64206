import Foundation
import TestSupport

/// Thin aliases so test files read well.
enum TestSupportBridge {
    static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        try TestSupport.python(script, arguments)
    }
}
