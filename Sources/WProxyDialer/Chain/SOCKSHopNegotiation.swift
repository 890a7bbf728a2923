import NIOCore
import WProxyConfig
import WProxyProtocols

/// A `socks5://`, `socks4://` or `socks4a://` hop: `SOCKSClientStateMachine`, with its failures as `DialError`s.
struct SOCKSHopNegotiation: HopNegotiation {
    private var machine: SOCKSClientStateMachine
    private let hop: ProxyURL
    private let target: String

    /// - Parameters:
    ///   - hop: the proxy being negotiated with.
    ///   - host: where the hop should connect: a name (sent for the hop to resolve) or an IP literal.
    init(hop: ProxyURL, host: String, port: Int) {
        let version: SOCKSVersion
        switch hop.scheme {
        case .socks5: version = .v5
        case .socks4, .socks4a: version = .v4
        case .http: preconditionFailure("an http hop is negotiated with HTTPConnectHopNegotiation")
        }
        let credentials = hop.username.map {
            SOCKSClientStateMachine.Credentials(username: $0, password: hop.password ?? "")
        }
        self.machine = SOCKSClientStateMachine(
            version: version,
            target: SOCKSTarget(host: SOCKSAddress(host: host), port: UInt16(clamping: port)),
            credentials: credentials)
        self.hop = hop
        self.target = HostPort(host: host, port: port).description
    }

    mutating func start() -> HopStep {
        map(machine.start())
    }

    mutating func received(_ bytes: ByteBuffer) -> HopStep {
        map(machine.receivedBytes(bytes))
    }

    private func map(_ action: SOCKSClientStateMachine.Action) -> HopStep {
        switch action {
        case .sendBytes(let bytes): return .send(bytes)
        case .needMore: return .needMore
        case .established(let leftover): return .established(leftover: leftover)
        case .forward(let bytes): return .established(leftover: bytes)
        case .failed(let error): return .failed(Self.dialError(error, hop: hop, target: target))
        }
    }

    /// How a hop's SOCKS answer reads to the modes in front (SOCKS reply codes, HTTP statuses).
    static func dialError(_ error: SOCKSClientError, hop: ProxyURL, target: String) -> DialError {
        let kind: DialError.Kind
        let detail: String
        switch error {
        case .socks5Reply(let code):
            detail = "upstream proxy \(hop) replied 0x\(String(code.rawValue, radix: 16, uppercase: true).leftPadded(2))"
            switch code {
            case .connectionRefused: kind = .refused
            case .hostUnreachable: kind = .hostUnreachable
            case .networkUnreachable: kind = .networkUnreachable
            case .ttlExpired: kind = .timedOut
            case .notAllowedByRuleset: kind = .notAllowed
            case .succeeded, .generalFailure, .commandNotSupported, .addressTypeNotSupported, .unassigned: kind = .other
            }
        case .socks4Reply(let code):
            detail = "upstream proxy \(hop) replied 0x\(String(code.rawValue, radix: 16, uppercase: true))"
            switch code {
            case .rejected: kind = .refused
            case .granted, .identdUnreachable, .identdMismatch, .other: kind = .other
            }
        case .noAcceptableMethod:
            kind = .proxyAuthRequired
            detail = hop.username == nil
                ? "upstream proxy \(hop) wants credentials: add user:pass@ to its URL"
                : "upstream proxy \(hop) accepted none of our methods"
        case .unexpectedMethod(let method):
            kind = method == .usernamePassword ? .proxyAuthRequired : .other
            detail = "upstream proxy \(hop) chose method \(method)"
        case .authenticationFailed(let status):
            kind = .proxyAuthRequired
            detail = "upstream proxy \(hop) rejected our credentials (status \(status))"
        case .malformedReply(let error):
            kind = .other
            detail = "upstream proxy \(hop) sent a malformed reply: \(error)"
        case .unencodableRequest:
            kind = .other
            detail = "the destination or credentials do not fit a SOCKS request to \(hop)"
        case .invalidState:
            kind = .other
            detail = "SOCKS handshake with \(hop) out of order"
        }
        return DialError(kind: kind, target: target, detail: detail)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
