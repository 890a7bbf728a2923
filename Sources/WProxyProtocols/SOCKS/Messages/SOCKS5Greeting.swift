import NIOCore

/// The SOCKS5 client greeting: `VER(5) NMETHODS METHODS...` (RFC 1928 §3).
///
/// NMETHODS is 1...255; a greeting with no methods is rejected when parsed.
package struct SOCKS5Greeting: Hashable, Sendable {
    package var methods: [SOCKS5AuthMethod]

    package init(methods: [SOCKS5AuthMethod]) {
        self.methods = methods
    }
}

extension ByteBuffer {
    /// Throws ``SOCKSError/invalidVersion(_:)`` unless VER is 5 and ``SOCKSError/noMethods`` for NMETHODS 0.
    package mutating func readSOCKS5Greeting() throws -> SOCKS5Greeting? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS5Greeting? in
            guard try buffer.readSOCKSVersion(0x05) != nil,
                let count = buffer.readInteger(as: UInt8.self)
            else { return nil }
            guard count > 0 else { throw SOCKSError.noMethods }
            guard let methods = buffer.readBytes(length: Int(count)) else { return nil }
            return SOCKS5Greeting(methods: methods.map(SOCKS5AuthMethod.init(rawValue:)))
        }
    }

    /// Writes at most 255 methods (callers pass 1...255).
    @discardableResult
    package mutating func writeSOCKS5Greeting(_ greeting: SOCKS5Greeting) -> Int {
        self.writeInteger(UInt8(0x05)) + self.writeLengthPrefixedBytes(greeting.methods.map(\.rawValue))
    }
}
