import NIOCore

/// An idle keep-alive client connection waiting in the engine for its next request.
///
/// A NIO channel costs about 3 KB while it waits; a parked socket costs this object. When the
/// client sends again (or hangs up) the engine hands the socket back to `parking`, which gives it
/// a fresh channel and pipeline. When `timeoutMS` passes first, or a drain closes it, the engine
/// closes the socket and tells `parking`.
///
/// Made on the engine's thread (see `ParkRequest`) and touched only there, hence
/// `@unchecked Sendable`.
final class ParkedConnection: @unchecked Sendable {
    let request: ParkRequest
    var deadline: UInt64 = 0
    var finished = false

    init(_ request: ParkRequest) {
        self.request = request
    }

    var fd: Int32 { request.fd }
}

/// What the event loop sends the engine to park a connection. A plain value carried inside the
/// engine's inbox: parking allocates nothing on the event loop's heap that outlives the channel,
/// so the channel's freed memory is not pinned by small live objects (and can go back to the
/// kernel, see `EngineLoop.trimHeapAfterParking`).
struct ParkRequest: Sendable {
    let fd: Int32
    let id: Int
    let timeoutMS: UInt64
    let parking: ConnectionParking
    let eventLoop: any EventLoop
}
