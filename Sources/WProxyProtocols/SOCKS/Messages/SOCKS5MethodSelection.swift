import NIOCore

/// The server's answer to a greeting: `VER(5) METHOD` (RFC 1928 §3). `0xFF` means none was acceptable.
package struct SOCKS5MethodSelection: Hashable, Sendable {
    package var method: SOCKS5AuthMethod

    package init(method: SOCKS5AuthMethod) {
        self.method = method
    }
}

extension ByteBuffer {
    package mutating func readSOCKS5MethodSelection() throws -> SOCKS5MethodSelection? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS5MethodSelection? in
            guard try buffer.readSOCKSVersion(0x05) != nil,
                let method = buffer.readInteger(as: UInt8.self)
            else { return nil }
            return SOCKS5MethodSelection(method: SOCKS5AuthMethod(rawValue: method))
        }
    }

    @discardableResult
    package mutating func writeSOCKS5MethodSelection(_ selection: SOCKS5MethodSelection) -> Int {
        self.writeInteger(UInt8(0x05)) + self.writeInteger(selection.method.rawValue)
    }
}
