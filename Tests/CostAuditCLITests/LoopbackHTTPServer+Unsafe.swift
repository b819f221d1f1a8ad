import Attribution
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 for the webhook tests: it accepts connections one at a time on its
/// own thread, reads one request (headers, then `Content-Length` bytes of body), keeps the body, answers with
/// `status` and closes the connection.
///
/// Safety invariant: every pointer handed to a socket call points into a local value or array that lives for the
/// whole call, and the length passed with it is that value's or array's size in bytes.
final class LoopbackHTTPServer: Sendable {
    let port: UInt16
    private let listener: Int32
    private let status: Int
    private let received = Lock<[String]>([])

    /// The bodies received so far, in order.
    var bodies: [String] { received.withLock { $0 } }

    init(status: Int) throws {
        self.status = status
        #if canImport(Darwin)
        let stream = SOCK_STREAM
        #else
        let stream = Int32(SOCK_STREAM.rawValue)
        #endif
        let fd = socket(AF_INET, stream, 0)
        guard fd >= 0 else { throw CLITestError(message: "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = unsafe withUnsafePointer(to: &address) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe bind(fd, $0, size) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw CLITestError(message: "bind/listen on 127.0.0.1 failed: errno \(errno)")
        }
        var length = size
        _ = unsafe withUnsafeMutablePointer(to: &address) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        Thread.detachNewThread { [self] in serve() }
    }

    /// The URL of the path `/hook`.
    var url: String { "http://127.0.0.1:\(port)/hook" }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            if let body = readBody(client) { received.withLock { $0.append(body) } }
            let response = Array("HTTP/1.1 \(status) Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            _ = unsafe response.withUnsafeBytes { unsafe send(client, $0.baseAddress, $0.count, 0) }
            close(client)
        }
    }

    /// Reads one request and returns its body; nil when the connection ends before the body does.
    private func readBody(_ client: Int32) -> String? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let separator = Array("\r\n\r\n".utf8)
        while true {
            let count = unsafe chunk.withUnsafeMutableBytes { unsafe recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return nil }
            data += chunk[0..<count]
            guard let end = Self.find(separator, in: data) else { continue }
            let head = String(decoding: data[0..<end], as: UTF8.self).lowercased()
            var length = 0
            for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            let bodyStart = end + separator.count
            if data.count - bodyStart >= length {
                return String(decoding: data[bodyStart..<(bodyStart + length)], as: UTF8.self)
            }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle
        {
            return start
        }
        return nil
    }

    /// Stops accepting connections.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
