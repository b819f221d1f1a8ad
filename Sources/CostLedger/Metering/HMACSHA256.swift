import WireFormat

/// HMAC-SHA256 (RFC 2104) over ``SHA256Hash``, for the keyed hash of a user id sent to a provider
/// (``MetadataPropagation/UserIDPolicy/keyedHash(key:)``).
///
/// The package has no dependencies and Foundation has no cryptography on Linux, so it lives here, in safe
/// Swift. It is checked against the RFC 4231 test vectors. Speed does not matter here: one hash per call.
enum HMACSHA256 {
    /// HMAC-SHA256 of `message` under `key`, as 32 bytes.
    static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var block = key.count > blockSize ? SHA256Hash.hash(key) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        let inner = SHA256Hash.hash(block.map { $0 ^ 0x36 } + message)
        return SHA256Hash.hash(block.map { $0 ^ 0x5c } + inner)
    }

    /// HMAC-SHA256 of `message`'s UTF-8 under `key`, as 64 lowercase hex characters.
    static func hex(key: [UInt8], message: String) -> String {
        SHA256Hash.hex(authenticationCode(key: key, message: Array(message.utf8)))
    }
}
