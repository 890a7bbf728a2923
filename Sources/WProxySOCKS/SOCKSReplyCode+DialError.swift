import WProxyDialer
import WProxyProtocols

extension SOCKS5ReplyCode {
    /// The SOCKS5 reply for a failed dial (SPEC "socks" reply codes): the real cause, not a blanket `0x01`.
    /// SOCKS4 clients get `0x5B` whatever this is.
    package init(dialError: DialError) {
        switch dialError.kind {
        case .networkUnreachable: self = .networkUnreachable
        case .dnsFailure, .hostUnreachable: self = .hostUnreachable
        case .refused: self = .connectionRefused
        case .timedOut: self = .ttlExpired
        case .notAllowed: self = .notAllowedByRuleset
        case .proxyAuthRequired, .other: self = .generalFailure
        }
    }

    /// Any error from dialing or binding: a `DialError` maps by kind, anything else is `0x01`.
    package init(failure error: any Error) {
        if let dial = error as? DialError {
            self.init(dialError: dial)
        } else {
            self = .generalFailure
        }
    }
}
