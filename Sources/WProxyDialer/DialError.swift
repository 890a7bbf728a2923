#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Why a destination could not be reached, in the terms every mode maps to its own replies
/// (SOCKS reply codes, HTTP 502/504).
package struct DialError: Error, Hashable, CustomStringConvertible {
    package enum Kind: String, Hashable, Sendable {
        case dnsFailure = "name not resolved"
        case refused = "connection refused"
        case timedOut = "connect timed out"
        case networkUnreachable = "network unreachable"
        case hostUnreachable = "host unreachable"
        /// An upstream proxy hop refused the destination by its rules (SOCKS5 0x02, HTTP 403).
        case notAllowed = "not allowed by an upstream proxy"
        /// An upstream proxy hop wants credentials we do not have or rejected ours
        /// (HTTP 407, SOCKS5 no acceptable method or RFC 1929 failure).
        case proxyAuthRequired = "upstream proxy authentication required"
        case other = "connect failed"
    }

    package let kind: Kind
    package let target: String
    package let detail: String

    package init(kind: Kind, target: String, detail: String) {
        self.kind = kind
        self.target = target
        self.detail = detail
    }

    package var description: String { "\(target): \(kind.rawValue)\(detail.isEmpty ? "" : " (\(detail))")" }

    /// A connect that failed with `errno` (the tunnel engine's connects report it this way).
    package init(target: String, errno: Int32) {
        let kind: Kind
        switch errno {
        case ECONNREFUSED: kind = .refused
        case ETIMEDOUT: kind = .timedOut
        case ENETUNREACH: kind = .networkUnreachable
        case EHOSTUNREACH: kind = .hostUnreachable
        default: kind = .other
        }
        self.init(kind: kind, target: target, detail: kind == .other ? String(cString: strerror(errno)) : "")
    }

    /// Maps NIO's connect errors to a kind.
    package init(target: String, classifying error: any Error) {
        if let dial = error as? DialError {
            self = dial
            return
        }
        switch error {
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty {
                let dns = error.dnsAError ?? error.dnsAAAAError
                self.init(kind: .dnsFailure, target: target, detail: dns.map { "\($0)" } ?? "no addresses")
            } else {
                // Report the most telling of the per-address failures.
                let kinds = error.connectionErrors.map { DialError(target: target, classifying: $0.error) }
                let order: [Kind] = [
                    .refused, .timedOut, .hostUnreachable, .networkUnreachable, .notAllowed, .proxyAuthRequired, .other,
                ]
                let best = order.lazy.compactMap { kind in kinds.first { $0.kind == kind } }.first ?? kinds[0]
                self = best
            }
        case ChannelError.connectTimeout:
            self.init(kind: .timedOut, target: target, detail: "")
        case let error as IOError:
            self.init(target: target, errno: error.errnoCode)
        default:
            self.init(kind: .other, target: target, detail: "\(error)")
        }
    }
}
