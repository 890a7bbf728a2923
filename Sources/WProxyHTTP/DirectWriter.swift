#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import WProxyCore

/// The direct write path of one upstream connection (see `UpstreamConnection.direct`): bytes
/// queued by `queue` go out with one `send` on a duplicate of the channel's socket at `send()`.
/// Confined to the connection's event loop.
final class DirectWriter {
    private var fd: Int32 = -1
    private var queued: ByteBuffer?

    /// Usable for the next write.
    var ready: Bool { fd >= 0 }

    /// Duplicates the channel's socket, when NIO has nothing queued for it (a direct send must not
    /// overtake it). Nothing happens when that fails: NIO writes everything.
    func open(_ channel: any Channel) {
        guard fd < 0, ChannelDescriptor.writesDone(channel), let copy = ChannelDescriptor.duplicateSocket(channel)
        else { return }
        fd = copy
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
    /// error), for the caller to write through NIO; the direct path is then closed for good, so
    /// that every later write queues behind that one in NIO. Nil when all of it went.
    func send() -> ByteBuffer? {
        guard var buffer = queued else { return nil }
        queued = nil
        #if os(Linux)
        let sent = buffer.withUnsafeReadableBytes { wproxy_send(fd, $0.baseAddress, UInt($0.count)) }
        if sent > 0 { buffer.moveReaderIndex(forwardBy: sent) }
        #endif
        guard buffer.readableBytes > 0 else { return nil }
        close()
        return buffer
    }

    func close() {
        queued = nil
        guard fd >= 0 else { return }
        #if os(Linux)
        _ = Glibc.close(fd)
        #endif
        fd = -1
    }
}
