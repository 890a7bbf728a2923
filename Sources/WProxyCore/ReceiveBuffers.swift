import NIOCore

/// Receive-buffer sizing for every proxied socket.
///
/// Each NIO socket channel keeps its last receive buffer pooled for reuse, so the initial size is
/// memory held by every idle connection. Starting at 512 bytes instead of NIO's 2048 cuts idle
/// tunnels' memory; bulk transfers still reach 64 KiB reads after a handful of full reads
/// (the allocator doubles on each full read).
package enum ReceiveBuffers {
    package static let allocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)
}
