import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where `alerts --webhook` posts: an http or https URL, each alert one JSON message (docs/alerts.md).
struct WebhookTarget: Sendable {
    let url: URL
    /// How long one delivery may take before it counts as failed.
    static let timeoutSeconds: TimeInterval = 10

    /// The URL, nil unless it is an absolute http or https URL with a host.
    init?(_ text: String) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        self.url = url
    }

    /// Posts each message in order (`Content-Type: application/json`); returns why each failed delivery failed
    /// (a transport error, or a status outside 200-299), in order.
    func post(_ messages: [String]) async -> [String] {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Self.timeoutSeconds
        configuration.timeoutIntervalForResource = Self.timeoutSeconds
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        var failures: [String] = []
        for (index, message) in messages.enumerated() {
            var request = URLRequest(url: url, timeoutInterval: Self.timeoutSeconds)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(message.utf8)
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if !(200...299).contains(status) { failures.append("alert \(index + 1): HTTP status \(status)") }
            } catch {
                failures.append("alert \(index + 1): \(error.localizedDescription)")
            }
        }
        return failures
    }
}
