import NIOCore

/// The server side of one SOCKS4, SOCKS4a or SOCKS5 connection, from the first byte to the tunnel.
///
/// Sans-I/O: the handler feeds bytes and outcomes in and carries out the returned ``Action``. The
/// machine never checks passwords, dials or binds; it asks (`.verifyCredentials`, `.request`) and is
/// told (`credentialsVerified`, `requestSucceeded`, `bindListening`, `bindAccepted`, `requestFailed`).
///
/// Guarantees:
/// - The version is taken from the first byte: 4 or 5. Anything else is `.close` with no reply,
///   since there is no reply format for an unknown version.
/// - Bad input from the client never traps. It gets the reply its protocol has for it (`05 FF`,
///   `01 01`, REP `0x01`/`0x07`/`0x08`, `0x5B`) and `.replyAndClose`, or `.close`.
/// - Client bytes after the request are kept (up to ``Configuration/maxEarlyDataBytes``) and handed out
///   with `.established(reply:leftover:)`; none are lost.
/// - After any failure the machine stays in its error state: every later event returns `.close`.
///   Events that arrive in the wrong state (handler bugs) also move it there.
///
/// Assumes: the handler enforces the handshake timeout; the machine only bounds memory.
package struct SOCKSServerStateMachine {
    private enum State {
        case awaitingVersion
        case awaitingGreeting
        case awaitingCredentials
        case verifyingCredentials(username: String)
        case awaitingSOCKS5Request(username: String?)
        case awaitingSOCKS4Request
        case awaitingOutcome(SOCKSRequest)
        case awaitingBindPeer(SOCKSRequest)
        case established
        case error
    }

    package let configuration: Configuration
    private var state: State = .awaitingVersion
    /// Client bytes not yet consumed by a parser (or, after the request, early data).
    private var buffered = Self.emptyBuffer
    private static let emptyBuffer = ByteBuffer()

    package init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// True once a success reply has been produced for CONNECT/UDP ASSOCIATE or the second BIND reply.
    package var isEstablished: Bool {
        switch self.state {
        case .established:
            return true
        case .awaitingVersion, .awaitingGreeting, .awaitingCredentials, .verifyingCredentials,
            .awaitingSOCKS5Request, .awaitingSOCKS4Request, .awaitingOutcome, .awaitingBindPeer, .error:
            return false
        }
    }

    // MARK: - Events

    /// Bytes from the client. They are buffered until a whole message has arrived.
    package mutating func receivedBytes(_ bytes: ByteBuffer) -> Action {
        switch self.state {
        case .error:
            return .close
        case .awaitingVersion, .awaitingGreeting, .awaitingCredentials, .verifyingCredentials,
            .awaitingSOCKS5Request, .awaitingSOCKS4Request, .awaitingOutcome, .awaitingBindPeer, .established:
            if self.buffered.readableBytes == 0 {
                self.buffered = bytes
            } else {
                var bytes = bytes
                self.buffered.writeBuffer(&bytes)
            }
            let action = self.process(reply: nil)
            if self.buffered.readableBytes == 0 {
                // Let go of the channel's receive buffer: NIO reuses it for the next read only if no one
                // else holds it, and otherwise allocates (and keeps) a second one for the connection.
                self.buffered = Self.emptyBuffer
            }
            return action
        }
    }

    /// The outcome of the credential check asked for with `.verifyCredentials`.
    /// `ok == false` answers RFC 1929 status `01 01` and closes.
    package mutating func credentialsVerified(ok: Bool) -> Action {
        switch self.state {
        case .verifyingCredentials(let username):
            guard ok else {
                return self.fail(.replyAndClose(Self.authenticationStatus(.failure)))
            }
            self.state = .awaitingSOCKS5Request(username: username)
            return self.process(reply: Self.authenticationStatus(.success))
        case .error:
            return .close
        case .awaitingVersion, .awaitingGreeting, .awaitingCredentials, .awaitingSOCKS5Request,
            .awaitingSOCKS4Request, .awaitingOutcome, .awaitingBindPeer, .established:
            return self.fail(.close)
        }
    }

    /// CONNECT or UDP ASSOCIATE succeeded; `boundAddress` is the upstream socket's local address
    /// (CONNECT) or the UDP relay's address (UDP ASSOCIATE). For BIND use `bindListening`/`bindAccepted`.
    package mutating func requestSucceeded(boundAddress: SOCKSTarget) -> Action {
        switch self.state {
        case .awaitingOutcome(let request):
            guard request.command != .bind else {
                return self.fail(.close)
            }
            return self.establish(reply: Self.successReply(request.version, bound: boundAddress))
        case .error:
            return .close
        case .awaitingVersion, .awaitingGreeting, .awaitingCredentials, .verifyingCredentials,
            .awaitingSOCKS5Request, .awaitingSOCKS4Request, .awaitingBindPeer, .established:
            return self.fail(.close)
        }
    }

    /// BIND: the listening socket is ready at `address`. Produces the first of the two replies.
    package mutating func bindListening(address: SOCKSTarget) -> Action {
        switch self.state {
        case .awaitingOutcome(let request):
            guard request.command == .bind else {
                return self.fail(.close)
            }
            self.state = .awaitingBindPeer(request)
            return .sendBytes(Self.successReply(request.version, bound: address))
        case .error:
            return .close
        case .awaitingVersion, .awaitingGreeting, .awaitingCredentials, .verifyingCredentials,
            .awaitingSOCKS5Request, .awaitingSOCKS4Request, .awaitingBindPeer, .established:
            return self.fail(.close)
        }
    }

    /// BIND: a peer connected from `peer`. Produces the second reply; the tunnel is established.
    package mutating func bindAccepted(peer: SOCKSTarget) -> Action {
        switch self.state {
        case .awaitingBindPeer(let request):
            return self.establish(reply: Self.successReply(request.version, bound: peer))
        case .error:
            return .close
        case .awaitingVersion, .awaitingGreeting, .awaitingCredentials, .verifyingCredentials,
            .awaitingSOCKS5Request, .awaitingSOCKS4Request, .awaitingOutcome, .established:
            return self.fail(.close)
        }
    }

    /// The request (or a BIND in either phase) failed: reply with `code` (`0x5B` for SOCKS4) and close.
    /// `.succeeded` is not a failure and is sent as `.generalFailure`.
    package mutating func requestFailed(code: SOCKS5ReplyCode) -> Action {
        switch self.state {
        case .awaitingOutcome(let request), .awaitingBindPeer(let request):
            let code = code == .succeeded ? .generalFailure : code
            return self.fail(.replyAndClose(Self.failureReply(request.version, code: code)))
        case .error:
            return .close
        case .awaitingVersion, .awaitingGreeting, .awaitingCredentials, .verifyingCredentials,
            .awaitingSOCKS5Request, .awaitingSOCKS4Request, .established:
            return self.fail(.close)
        }
    }

    // MARK: - Parsing

    /// Parses as many buffered messages as the state allows. `reply` collects bytes to write that have
    /// not been handed out yet (a method selection or auth status followed by a pipelined message).
    private mutating func process(reply: ByteBuffer?) -> Action {
        var reply = reply
        while true {
            switch self.state {
            case .awaitingVersion:
                guard let version = self.buffered.getInteger(at: self.buffered.readerIndex, as: UInt8.self) else {
                    return self.needMore(reply: reply)
                }
                switch version {
                case 0x05: self.state = .awaitingGreeting
                case 0x04: self.state = .awaitingSOCKS4Request
                default: return self.fail(.close)
                }

            case .awaitingGreeting:
                let parsed: SOCKS5Greeting?
                do {
                    parsed = try self.buffered.readSOCKS5Greeting()
                } catch {
                    return self.fail(.replyAndClose(Self.methodSelection(.noAcceptableMethods)))
                }
                guard let greeting = parsed else {
                    return self.needMore(reply: reply)
                }
                let method: SOCKS5AuthMethod =
                    self.configuration.authRequired ? .usernamePassword : .noAuthenticationRequired
                guard greeting.methods.contains(method) else {
                    return self.fail(.replyAndClose(Self.methodSelection(.noAcceptableMethods)))
                }
                reply.append(Self.methodSelection(method))
                self.state =
                    self.configuration.authRequired ? .awaitingCredentials : .awaitingSOCKS5Request(username: nil)

            case .awaitingCredentials:
                let parsed: SOCKS5UsernamePasswordRequest?
                do {
                    parsed = try self.buffered.readSOCKS5UsernamePasswordRequest()
                } catch {
                    return self.fail(.replyAndClose(Self.joined(reply, Self.authenticationStatus(.failure))))
                }
                guard let credentials = parsed else {
                    return self.needMore(reply: reply)
                }
                self.state = .verifyingCredentials(username: credentials.username)
                return .verifyCredentials(username: credentials.username, password: credentials.password, reply: reply)

            case .verifyingCredentials:
                return self.needMore(reply: reply)

            case .awaitingSOCKS5Request(let username):
                let parsed: SOCKS5Request?
                do {
                    parsed = try self.buffered.readSOCKS5Request()
                } catch let error as SOCKSError where error.unsupportedAddressType != nil {
                    return self.fail(.replyAndClose(Self.joined(reply, Self.failureReply(.v5, code: .addressTypeNotSupported))))
                } catch {
                    return self.fail(.replyAndClose(Self.joined(reply, Self.failureReply(.v5, code: .generalFailure))))
                }
                guard let wire = parsed else {
                    return self.needMore(reply: reply)
                }
                switch wire.command {
                case .connect, .bind, .udpAssociate:
                    let request = SOCKSRequest(
                        version: .v5,
                        command: wire.command,
                        target: wire.target,
                        username: username
                    )
                    self.state = .awaitingOutcome(request)
                    return .request(request, reply: reply)
                case .other:
                    return self.fail(.replyAndClose(Self.joined(reply, Self.failureReply(.v5, code: .commandNotSupported))))
                }

            case .awaitingSOCKS4Request:
                let parsed: SOCKS4Request?
                do {
                    parsed = try self.buffered.readSOCKS4Request()
                } catch {
                    return self.fail(.replyAndClose(Self.failureReply(.v4, code: .generalFailure)))
                }
                guard let wire = parsed else {
                    return self.needMore(reply: reply)
                }
                guard !self.configuration.authRequired else {
                    return self.fail(.replyAndClose(Self.failureReply(.v4, code: .generalFailure)))
                }
                switch wire.command {
                case .connect, .bind:
                    let username = wire.userID.isEmpty ? nil : wire.userID
                    let request = SOCKSRequest(
                        version: .v4,
                        command: wire.command,
                        target: wire.target,
                        username: username
                    )
                    self.state = .awaitingOutcome(request)
                    return .request(request, reply: reply)
                case .udpAssociate, .other:
                    return self.fail(.replyAndClose(Self.failureReply(.v4, code: .generalFailure)))
                }

            case .awaitingOutcome, .awaitingBindPeer:
                guard self.buffered.readableBytes <= self.configuration.maxEarlyDataBytes else {
                    return self.fail(.close)
                }
                return .needMore(reply: reply)

            case .established:
                guard self.buffered.readableBytes > 0 else {
                    return .needMore(reply: reply)
                }
                return .forward(self.takeBuffered())

            case .error:
                return .close
            }
        }
    }

    // MARK: - Helpers

    /// A rejection that follows replies not yet handed out (a method selection or auth status for
    /// messages the client pipelined): those must reach the client first or it misreads the rejection.
    private static func joined(_ pending: ByteBuffer?, _ rejection: ByteBuffer) -> ByteBuffer {
        guard var pending else { return rejection }
        var rejection = rejection
        pending.writeBuffer(&rejection)
        return pending
    }

    /// Waits for more bytes unless the buffered handshake already exceeds the limit.
    private mutating func needMore(reply: ByteBuffer?) -> Action {
        guard self.buffered.readableBytes <= self.configuration.maxHandshakeBytes else {
            return self.fail(.close)
        }
        return .needMore(reply: reply)
    }

    private mutating func establish(reply: ByteBuffer) -> Action {
        self.state = .established
        let leftover = self.buffered.readableBytes > 0 ? self.takeBuffered() : nil
        return .established(reply: reply, leftover: leftover)
    }

    /// Enters the error state for good, dropping buffered input.
    private mutating func fail(_ action: Action) -> Action {
        self.state = .error
        self.buffered = Self.emptyBuffer
        return action
    }

    private mutating func takeBuffered() -> ByteBuffer {
        let bytes = self.buffered
        self.buffered = Self.emptyBuffer
        return bytes
    }
}
