import NIOCore
import NIOHTTP1
import NIOPosix

extension HTTP1ProxyHandler {
    /// Writes a response the mode produced itself (a static file), streaming file bodies in chunks
    /// read off the event loop, each written only after the previous one was flushed.
    func serveLocal(_ response: LocalResponse) {
        phase = .local
        responseStatus = Int(response.head.status.code)
        // Body bytes of this request that arrived meanwhile are not needed.
        if !requestEnded { discardBody() }
        let keepAlive = clientKeepAlive && !closeAfterResponse && requestEndedOrEmpty
        var head = response.head
        head.version = .http1_1
        if !keepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
        var out = allocator.buffer(capacity: 256)
        HeadWriters.writeLocalResponse(head, into: &out)
        writeClient(out)
        switch response.body {
        case .empty:
            finishRequest(keepAlive: keepAlive)
        case .buffer(let buffer):
            if request.method != .HEAD {
                bytesOut += buffer.readableBytes
                writeClient(buffer)
            }
            finishRequest(keepAlive: keepAlive)
        case .file(let handle, let offset, let length):
            guard request.method != .HEAD, length > 0, let fileIO = settings.fileIO else {
                try? handle.close()
                finishRequest(keepAlive: keepAlive)
                return
            }
            flushClient()
            let loop = context.eventLoop
            let channel = context.channel
            let bound = NIOLoopBound(self, eventLoop: loop)
            fileIO.readChunked(
                fileHandle: handle, fromOffset: offset, byteCount: Int(length), chunkSize: 64 << 10,
                allocator: channel.allocator, eventLoop: loop
            ) { chunk in
                let handler = bound.value
                guard case .local = handler.phase, channel.isActive else {
                    return loop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                }
                return handler.writeFileChunk(chunk)
            }.assumeIsolated().whenComplete { [weak self] result in

                try? handle.close()
                guard let self, case .local = self.phase else { return }
                switch result {
                case .success:
                    self.finishRequest(keepAlive: keepAlive)
                case .failure:
                    self.finishLog()
                    self.close()
                }
            }
        }
    }

    func writeFileChunk(_ chunk: ByteBuffer) -> EventLoopFuture<Void> {
        bytesOut += chunk.readableBytes
        lastActivity = .now()
        endDirectClientWrites()
        return context.writeAndFlush(wrapOutboundOut(chunk))
    }
}
