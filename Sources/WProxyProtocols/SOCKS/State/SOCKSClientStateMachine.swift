import NIOCore

/// The client side of a SOCKS handshake with one proxy hop (`socks5://` or `socks4://` in a chain).
///
/// Call ``start()`` once the connection to the hop is up, write what it returns, then feed every byte
/// from the hop to ``receivedBytes(_:)`` until `.established` or `.failed`.
///
/// - SOCKS5 offers method 0x00, plus 0x02 when credentials are given, and runs RFC 1929 if the hop
///   picks 0x02. Only CONNECT is sent.
/// - SOCKS4 sends the username (if any) as USERID and uses SOCKS4a for a domain target. An IPv6
///   target is sent as SOCKS4a with its text form (see `writeSOCKS4Request`).
/// - Bytes the hop sends after its reply are returned in `.established(leftover:)`, never dropped.
/// - After a failure every event returns `.failed(.invalidState)`.
package struct SOCKSClientStateMachine {
    package struct Credentials: Hashable, Sendable {
        package var username: String
        package var password: String

        package init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    package enum Action: Hashable, Sendable {
        /// Write these bytes to the hop, then wait for its answer.
        case sendBytes(ByteBuffer)
        /// Wait for more bytes from the hop.
        case needMore
        /// The tunnel through the hop is open. Pass `leftover` (bytes from the target that came with
        /// the reply) on to the downstream before anything else.
        case established(leftover: ByteBuffer?)
        /// Bytes handed in after `.established`: pass them on.
        case forward(ByteBuffer)
        /// Close the connection to the hop and report the error.
        case failed(SOCKSClientError)
    }

    private enum State {
        case initial
        case awaitingMethodSelection
        case awaitingAuthenticationStatus
        case awaitingSOCKS5Reply
        case awaitingSOCKS4Reply
        case established(bound: SOCKSTarget)
        case error
    }

    package let version: SOCKSVersion
    package let target: SOCKSTarget
    package let credentials: Credentials?
    private var state: State = .initial
    private var buffered = ByteBuffer()

    package init(version: SOCKSVersion, target: SOCKSTarget, credentials: Credentials? = nil) {
        self.version = version
        self.target = target
        self.credentials = credentials
    }

    /// The address the hop reported as bound (BND.ADDR/BND.PORT), once established.
    package var boundAddress: SOCKSTarget? {
        switch self.state {
        case .established(let bound):
            return bound
        case .initial, .awaitingMethodSelection, .awaitingAuthenticationStatus, .awaitingSOCKS5Reply,
            .awaitingSOCKS4Reply, .error:
            return nil
        }
    }

    /// The first bytes to send: the SOCKS5 greeting or the SOCKS4 request.
    package mutating func start() -> Action {
        switch self.state {
        case .initial:
            break
        case .awaitingMethodSelection, .awaitingAuthenticationStatus, .awaitingSOCKS5Reply, .awaitingSOCKS4Reply,
            .established, .error:
            return self.fail(.invalidState)
        }
        var bytes = ByteBuffer()
        switch self.version {
        case .v5:
            let credentialsFit = self.credentials.map { self.usernamePassword($0).isEncodable } ?? true
            guard self.target.isEncodableInSOCKS5, credentialsFit else {
                return self.fail(.unencodableRequest)
            }
            let methods: [SOCKS5AuthMethod] =
                self.credentials == nil ? [.noAuthenticationRequired] : [.noAuthenticationRequired, .usernamePassword]
            bytes.writeSOCKS5Greeting(SOCKS5Greeting(methods: methods))
            self.state = .awaitingMethodSelection
        case .v4:
            let userID = self.credentials?.username ?? ""
            guard Self.fitsSOCKS4Field(userID), self.socks4TargetFits else {
                return self.fail(.unencodableRequest)
            }
            bytes.writeSOCKS4Request(SOCKS4Request(command: .connect, target: self.target, userID: userID))
            self.state = .awaitingSOCKS4Reply
        }
        return .sendBytes(bytes)
    }

    /// Bytes from the hop.
    package mutating func receivedBytes(_ bytes: ByteBuffer) -> Action {
        switch self.state {
        case .initial, .error:
            return self.fail(.invalidState)
        case .established:
            return .forward(bytes)
        case .awaitingMethodSelection, .awaitingAuthenticationStatus, .awaitingSOCKS5Reply, .awaitingSOCKS4Reply:
            if self.buffered.readableBytes == 0 {
                self.buffered = bytes
            } else {
                var bytes = bytes
                self.buffered.writeBuffer(&bytes)
            }
        }
        do {
            return try self.process()
        } catch let error as SOCKSError {
            return self.fail(.malformedReply(error))
        } catch {
            return self.fail(.invalidState)
        }
    }

    /// Parses the one message the state waits for; the hop never sends two before we answer.
    private mutating func process() throws -> Action {
        switch self.state {
        case .awaitingMethodSelection:
            guard let selection = try self.buffered.readSOCKS5MethodSelection() else {
                return .needMore
            }
            switch selection.method {
            case .noAuthenticationRequired:
                return self.sendRequest()
            case .usernamePassword:
                guard let credentials = self.credentials else {
                    return self.fail(.unexpectedMethod(selection.method))
                }
                var bytes = ByteBuffer()
                bytes.writeSOCKS5UsernamePasswordRequest(self.usernamePassword(credentials))
                self.state = .awaitingAuthenticationStatus
                return .sendBytes(bytes)
            case .noAcceptableMethods:
                return self.fail(.noAcceptableMethod)
            default:
                return self.fail(.unexpectedMethod(selection.method))
            }

        case .awaitingAuthenticationStatus:
            guard let status = try self.buffered.readSOCKS5UsernamePasswordStatus() else {
                return .needMore
            }
            guard status.succeeded else {
                return self.fail(.authenticationFailed(status: status.status))
            }
            return self.sendRequest()

        case .awaitingSOCKS5Reply:
            guard let reply = try self.buffered.readSOCKS5Reply() else {
                return .needMore
            }
            guard reply.code == .succeeded else {
                return self.fail(.socks5Reply(reply.code))
            }
            return self.establish(bound: reply.bound)

        case .awaitingSOCKS4Reply:
            guard let reply = try self.buffered.readSOCKS4Reply() else {
                return .needMore
            }
            guard reply.code == .granted else {
                return self.fail(.socks4Reply(reply.code))
            }
            return self.establish(bound: SOCKSTarget(host: .ipv4(reply.ipv4), port: reply.port))

        case .initial, .established, .error:
            return self.fail(.invalidState)
        }
    }

    // MARK: - Helpers

    private mutating func sendRequest() -> Action {
        var bytes = ByteBuffer()
        bytes.writeSOCKS5Request(SOCKS5Request(command: .connect, target: self.target))
        self.state = .awaitingSOCKS5Reply
        return .sendBytes(bytes)
    }

    private mutating func establish(bound: SOCKSTarget) -> Action {
        self.state = .established(bound: bound)
        guard self.buffered.readableBytes > 0 else {
            self.buffered = ByteBuffer()
            return .established(leftover: nil)
        }
        let leftover = self.buffered
        self.buffered = ByteBuffer()
        return .established(leftover: leftover)
    }

    private mutating func fail(_ error: SOCKSClientError) -> Action {
        self.state = .error
        self.buffered = ByteBuffer()
        return .failed(error)
    }

    private func usernamePassword(_ credentials: Credentials) -> SOCKS5UsernamePasswordRequest {
        SOCKS5UsernamePasswordRequest(username: credentials.username, password: credentials.password)
    }

    private var socks4TargetFits: Bool {
        switch self.target.host {
        case .ipv4, .ipv6:
            return true
        case .domain(let name):
            return !name.isEmpty && Self.fitsSOCKS4Field(name)
        }
    }

    private static func fitsSOCKS4Field(_ field: String) -> Bool {
        field.utf8.count <= SOCKS4Request.maxFieldLength && !field.utf8.contains(0)
    }
}
