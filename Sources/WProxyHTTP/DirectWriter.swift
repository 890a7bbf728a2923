#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import WProxyCore

/// The direct write path of one connection (see `UpstreamConnection.direct` and
/// `HTTP1ProxyHandler.clientDirect`): bytes queued by `queue` go out with one `send` on the
/// channel's own socket at `send()`, skipping NIO's pipeline, pending-writes queue and promise
/// bookkeeping. Confined to the channel's event loop.
///
/// The descriptor is NIO's (`ChannelDescriptor.socketDescriptor`, no duplicate, so a connection
/// still costs one descriptor); every send first checks that the channel is still active, which
/// NIO clears as soon as it closes the descriptor, before any handler runs.
final class DirectWriter {
    private var fd: Int32 = -1
    private var channel: (any Channel)?
    private var queued: ByteBuffer?

    /// Usable for the next write.
    var ready: Bool { fd >= 0 }

    /// Finds the channel's socket, when NIO has nothing queued for it (a direct send must not
    /// overtake it). Nothing happens when that fails: NIO writes everything.
    func open(_ channel: any Channel) {
        guard fd < 0, channel.isActive, ChannelDescriptor.writesDone(channel),
              let socket = ChannelDescriptor.socketDescriptor(channel)
        else { return }
        fd = socket
        self.channel = channel
    }

    func queue(_ buffer: ByteBuffer) {
        if queued == nil {
            queued = buffer
        } else {
            var more = buffer
            queued!.writeBuffer(&more)
        }
    }

    /// Sends what was queued. Returns what the socket did not take (EAGAIN, a partial send, an
    /// error, a closed channel), for the caller to write through NIO; the direct path is then
    /// closed for good, so that every later write queues behind that one in NIO. Nil when all of
    /// it went.
    func send() -> ByteBuffer? {
        guard var buffer = queued else { return nil }
        queued = nil
        #if os(Linux)
        if let channel, channel.isActive {
            let sent = buffer.withUnsafeReadableBytes { wproxy_send(fd, $0.baseAddress, UInt($0.count)) }
            if sent > 0 { buffer.moveReaderIndex(forwardBy: sent) }
        }
        #endif
        guard buffer.readableBytes > 0 else { return nil }
        close()
        return buffer
    }

    /// Stops writing directly (the descriptor stays NIO's).
    func close() {
        queued = nil
        fd = -1
        channel = nil
    }
}
