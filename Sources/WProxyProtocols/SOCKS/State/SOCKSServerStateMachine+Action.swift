import NIOCore

extension SOCKSServerStateMachine {
    /// Limits and policy for one server-side connection.
    package struct Configuration: Hashable, Sendable {
        /// When true, SOCKS5 clients must pick RFC 1929 username/password (0x02) and SOCKS4 is refused
        /// with `0x5B`. When false, only 0x00 (no authentication) is accepted.
        package var authRequired: Bool
        /// The most handshake bytes buffered while a message is incomplete; more closes the connection.
        /// No valid handshake message is longer than 513 bytes (RFC 1929 request).
        package var maxHandshakeBytes: Int
        /// The most bytes a client may send after its request and before the reply (optimistic data),
        /// buffered so they can be handed on in `.established(leftover:)`; more closes the connection.
        package var maxEarlyDataBytes: Int

        package init(authRequired: Bool = false, maxHandshakeBytes: Int = 2048, maxEarlyDataBytes: Int = 64 * 1024) {
            self.authRequired = authRequired
            self.maxHandshakeBytes = maxHandshakeBytes
            self.maxEarlyDataBytes = maxEarlyDataBytes
        }
    }

    /// What the handler must do after an event. Where a case carries `reply: ByteBuffer?`, the handler
    /// writes the reply (if any) first and then does what the case names.
    package enum Action: Hashable, Sendable {
        /// Write `reply` if present, then wait for more bytes from the client.
        case needMore(reply: ByteBuffer?)
        /// Write `reply` if present (the method selection), then check the RFC 1929 credentials and call
        /// ``SOCKSServerStateMachine/credentialsVerified(ok:)``.
        case verifyCredentials(username: String, password: String, reply: ByteBuffer?)
        /// Write `reply` if present, then carry out the request (apply ACLs, connect, bind or associate)
        /// and report with `requestSucceeded`, `bindListening`/`bindAccepted` or `requestFailed`.
        case request(SOCKSRequest, reply: ByteBuffer?)
        /// Write these bytes; the request is still in progress (the first BIND reply).
        case sendBytes(ByteBuffer)
        /// Write `reply` (the success reply); the handshake is over. Then relay `leftover` (client bytes
        /// that arrived after the request) to the upstream before anything else.
        case established(reply: ByteBuffer, leftover: ByteBuffer?)
        /// Relay these client bytes to the upstream (bytes handed in after the handshake ended).
        case forward(ByteBuffer)
        /// Write these bytes and close the connection.
        case replyAndClose(ByteBuffer)
        /// Close the connection without writing anything.
        case close
    }
}

// MARK: - Replies

extension SOCKSServerStateMachine {
    static func methodSelection(_ method: SOCKS5AuthMethod) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeSOCKS5MethodSelection(SOCKS5MethodSelection(method: method))
        return buffer
    }

    static func authenticationStatus(_ status: SOCKS5UsernamePasswordStatus) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeSOCKS5UsernamePasswordStatus(status)
        return buffer
    }

    static func successReply(_ version: SOCKSVersion, bound: SOCKSTarget) -> ByteBuffer {
        var buffer = ByteBuffer()
        switch version {
        case .v5:
            buffer.writeSOCKS5Reply(SOCKS5Reply(code: .succeeded, bound: bound))
        case .v4:
            buffer.writeSOCKS4Reply(SOCKS4Reply(code: .granted, bound: bound))
        }
        return buffer
    }

    /// SOCKS4 has a single failure code, so every `code` becomes `0x5B` there.
    package static func failureReply(_ version: SOCKSVersion, code: SOCKS5ReplyCode) -> ByteBuffer {
        var buffer = ByteBuffer()
        switch version {
        case .v5:
            buffer.writeSOCKS5Reply(SOCKS5Reply(code: code))
        case .v4:
            buffer.writeSOCKS4Reply(SOCKS4Reply(code: .rejected))
        }
        return buffer
    }
}
