import Foundation
import HeadScopeRuntime

/// Open sessions by image, least recently used dropped first.
///
/// Opening a session encodes the image and prefills the shared prompt prefix, which for a small
/// model costs more than answering one subquestion; conditions run one after another over the
/// same test images, so keeping sessions open lets each image be encoded once per run instead of
/// once per condition. Memory per session is the prefix's KV cache (a few to tens of MB).
final class SessionCache {
    let runtime: any VLMRuntime
    let capacity: Int
    private var sessions: [URL: any VLMSession] = [:]
    private var order: [URL] = []
    /// Sessions opened so far (for tests and logs).
    private(set) var opened = 0

    init(runtime: any VLMRuntime, capacity: Int) {
        self.runtime = runtime
        self.capacity = max(0, capacity)
    }

    /// The session of `image`, opened if not cached.
    func session(image: URL) throws -> any VLMSession {
        if let session = sessions[image] {
            if let index = order.firstIndex(of: image) { order.remove(at: index) }
            order.append(image)
            return session
        }
        let session = try runtime.session(image: image)
        opened += 1
        guard capacity > 0 else { return session }
        if order.count >= capacity, let oldest = order.first {
            order.removeFirst()
            sessions[oldest] = nil
        }
        sessions[image] = session
        order.append(image)
        return session
    }
}
