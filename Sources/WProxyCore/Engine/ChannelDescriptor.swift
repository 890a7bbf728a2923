#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore

/// Finds (and duplicates) the socket descriptor under a NIO socket channel.
///
/// NIO has no API to take a socket out of a channel. Its `SocketChannel` describes itself as
/// `SocketChannel { BaseSocket { fd=N }, … }`; we read N from that and check that it really is this
/// channel's socket (same local and remote port) before trusting it. Anything unexpected (another
/// channel type, a changed format) returns nil and the caller keeps NIO's path.
package enum ChannelDescriptor {
    /// A duplicate of the channel's socket that the caller owns (the channel can then be closed).
    /// Called on the channel's event loop, so NIO cannot close the descriptor between check and copy.
    static func duplicate(_ channel: any Channel) -> Int32? {
        #if os(Linux)
        guard let fd = socketDescriptor(channel) else { return nil }
        let copy = wproxy_dup_cloexec(fd)
        return copy >= 0 ? copy : nil
        #else
        return nil
        #endif
    }

    /// The descriptor NIO itself uses for the channel's socket (not duplicated: NIO owns and
    /// closes it). Only for use on the channel's event loop while `channel.isActive`: NIO marks
    /// the channel inactive right after closing the descriptor and before any handler runs, so
    /// that check keeps a reused descriptor number from being written to.
    package static func socketDescriptor(_ channel: any Channel) -> Int32? {
        #if os(Linux)
        let text = String(describing: channel)
        guard text.hasPrefix("SocketChannel {"), let fd = descriptor(in: text),
              let local = channel.localAddress, let remote = channel.remoteAddress,
              Int(wproxy_socket_port(fd, 0)) == local.port, Int(wproxy_socket_port(fd, 1)) == remote.port
        else { return nil }
        return fd
        #else
        return nil
        #endif
    }

    /// The listening socket under a NIO server channel (not duplicated: NIO still owns it), checked
    /// to be a listening socket on the channel's port.
    static func listeningDescriptor(_ channel: any Channel) -> Int32? {
        #if os(Linux)
        let text = String(describing: channel)
        guard text.hasPrefix("ServerSocketChannel {"), let fd = descriptor(in: text),
              let local = channel.localAddress, Int(wproxy_socket_port(fd, 0)) == local.port,
              wproxy_is_listening(fd) == 1
        else { return nil }
        return fd
        #else
        return nil
        #endif
    }

    /// Nothing is queued for writing in `channel` (on its event loop): an empty write completes only
    /// after everything before it, so if it completed right away, the queue was empty. A channel is
    /// closed for a move to the engine only then: closing would drop queued writes.
    package static func writesDone(_ channel: any Channel) -> Bool {
        var done = false
        channel.writeAndFlush(channel.allocator.buffer(capacity: 0)).assumeIsolated().whenComplete { _ in
            done = true
        }
        return done
    }

    /// Whole milliseconds for the engine's clock, at least `minimum`.
    package static func milliseconds(_ amount: TimeAmount, minimum: Int64 = 1) -> UInt64 {
        UInt64(max(amount.nanoseconds / 1_000_000, minimum))
    }

    /// The number after "fd=" in NIO's description.
    private static func descriptor(in text: String) -> Int32? {
        let bytes = Array(text.utf8.prefix(64))
        let marker = Array("fd=".utf8)
        guard bytes.count > marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where bytes[start..<start + marker.count].elementsEqual(marker) {
            var value: Int32 = 0
            var index = start + marker.count
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39, value < 1 << 24 {
                value = value * 10 + Int32(bytes[index] - 0x30)
                index += 1
            }
            return index > start + marker.count ? value : nil
        }
        return nil
    }
}

/// Closes a descriptor we duplicated and did not hand to the engine.
func closeDescriptor(_ fd: Int32) {
    #if os(Linux)
    _ = close(fd)
    #endif
}
