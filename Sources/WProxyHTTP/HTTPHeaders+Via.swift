import NIOHTTP1

extension HTTPHeaders {
    /// The `Via` entry wproxy adds to every message it forwards (RFC 9110 §7.6.3).
    package static let viaValue = "1.1 wproxy"

    /// Appends `Via: 1.1 wproxy` after any `Via` entries of earlier hops.
    package mutating func addVia() {
        add(name: "Via", value: Self.viaValue)
    }

    /// True when a `Via` entry says the message already went through a wproxy (a forwarding loop
    /// when the next hop is ourselves).
    package var hasViaFromWProxy: Bool {
        self[canonicalForm: "via"].contains { $0.hasSuffix(" wproxy") || $0 == Substring(Self.viaValue) }
    }

    /// True when the message body is framed with chunked transfer coding (the last coding is `chunked`).
    package var isChunkedTransferEncoding: Bool {
        guard first(name: "transfer-encoding") != nil, let last = self[canonicalForm: "transfer-encoding"].last else {
            return false
        }
        return last.lowercased() == "chunked"
    }
}
