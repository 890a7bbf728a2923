import NIOCore
import WProxyProtocols

/// Names the host a connection is for from its first bytes: the TLS SNI of a ClientHello or the
/// `Host` of an HTTP/1.x request. Looks at copies only; what it is fed passes on unchanged.
///
/// Memory is bounded: at most `maxBytes` are kept, after which the answer is "unknown".
package struct HostSniffer: Sendable {
    package enum Outcome: Hashable, Sendable {
        /// Not enough bytes yet.
        case undecided
        /// The sniffed host, lowercased.
        case host(String)
        /// Neither protocol, no name in it, or not decided within the limit.
        case unknown
    }

    package static let defaultMaxBytes = ClientHelloParser.defaultMaxBytes
    private static let tlsHandshakeRecord: UInt8 = 0x16

    package private(set) var outcome: Outcome = .undecided
    private var buffered: ByteBuffer?
    private let maxBytes: Int

    package init(maxBytes: Int = HostSniffer.defaultMaxBytes) {
        self.maxBytes = maxBytes
    }

    /// Adds bytes the client sent; returns the outcome so far. Once decided, further bytes are ignored.
    @discardableResult
    package mutating func feed(_ bytes: ByteBuffer) -> Outcome {
        guard outcome == .undecided else { return outcome }
        var accumulated: ByteBuffer
        if let buffered {
            accumulated = buffered
            self.buffered = nil  // one reference, so appending does not copy the whole buffer
            var incoming = bytes
            accumulated.writeBuffer(&incoming)
        } else {
            accumulated = bytes
        }
        outcome = Self.decide(accumulated)
        if outcome == .undecided && accumulated.readableBytes >= maxBytes { outcome = .unknown }
        buffered = outcome == .undecided ? accumulated : nil
        return outcome
    }

    /// The client stopped sending before the sniffer could decide.
    package mutating func endOfInput() {
        if outcome == .undecided { outcome = .unknown }
        buffered = nil
    }

    private static func decide(_ bytes: ByteBuffer) -> Outcome {
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else { return .undecided }
        do {
            if first == tlsHandshakeRecord {
                switch try ClientHelloParser().peek(bytes) {
                case .needMoreData: return .undecided
                case .serverName(let name): return name.map(Outcome.host) ?? .unknown
                }
            }
            switch try HTTPHostParser().peek(bytes) {
            case .needMoreData: return .undecided
            case .host(let host): return host.map(Outcome.host) ?? .unknown
            }
        } catch {
            return .unknown
        }
    }
}
