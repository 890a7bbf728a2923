import NIOCore

/// What the dialer does next while opening a tunnel through one upstream proxy hop.
enum HopStep {
    /// Write these bytes to the hop, then keep reading.
    case send(ByteBuffer)
    /// Keep reading.
    case needMore
    /// The hop opened the tunnel; `leftover` are bytes from the far end that came with the reply.
    case established(leftover: ByteBuffer?)
    /// The hop refused or broke the protocol.
    case failed(DialError)
}

/// The sans-I/O client side of one hop's handshake (SOCKS or HTTP CONNECT).
/// `HopHandshakeHandler` carries out the steps; the negotiation never touches a channel.
protocol HopNegotiation {
    /// The first bytes to send once the connection to the hop is up.
    mutating func start() -> HopStep
    /// Bytes read from the hop.
    mutating func received(_ bytes: ByteBuffer) -> HopStep
}
