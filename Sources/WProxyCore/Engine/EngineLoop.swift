#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import Synchronization

/// One relay thread of the tunnel engine: an epoll loop over the sockets of the tunnels it owns.
///
/// Why not a NIO channel pair: each NIO socket channel costs about 3 KB of memory while idle
/// (channel, pipeline, write queue, pooled receive buffer) and a pipeline walk per read. Once a
/// tunnel's handshake is done it needs none of that, only "read from one socket, write to the
/// other" with backpressure and half-close. Here an idle tunnel costs a few hundred bytes and
/// each chunk costs one `recv` and one `send` on a shared 64 KB buffer.
///
/// Thread confinement: everything but `inbox` is touched only on the loop's own thread.
final class EngineLoop: @unchecked Sendable {
    enum Command {
        case start(TunnelRequest)
        /// Drain: close the tunnel of this client socket and tracker entry, if it still runs.
        case close(fd: Int32, id: Int)
        case park(ParkRequest)
        /// Drain: close the parked connection of this socket and tracker entry, if it still waits.
        case closeParked(fd: Int32, id: Int)
        /// Accept on this listening socket (see `EngineListening`).
        case listen(EngineListenSocket)
        /// Stop accepting for this listener: close its listening sockets here, then call `done`.
        case unlisten(EngineListening, done: @Sendable () -> Void)
        /// Take over a mode's driver (see `EngineDriver`).
        case drive(DriverStart)
        /// Drain, gently: the driver of this client socket and tracker entry finishes, then closes.
        case quiesce(fd: Int32, id: Int)
    }

    /// What a descriptor belongs to: a tunnel (in two slots, one per socket) or a parked connection.
    enum Slot {
        case tunnel(EngineTunnel)
        case parked(ParkedConnection)
        case session(EngineSession)
        case listener(EngineListenSocket)
        case driver(any EngineDriver)
    }

    private static let readSize = 65536
    private static let wakeToken = UInt64.max
    /// Idle timeouts are checked this often (their precision).
    private static let sweepMS: UInt64 = 250

    private let epfd: Int32
    private let wakeFD: Int32
    private let inbox = Mutex<[Command]>([])
    private var table: [Slot?] = []
    /// Tunnels with an idle timeout plus parked connections: while nonzero the loop wakes to sweep.
    private var idleTimed = 0
    /// Tunnels whose upstream connect is still in progress, plus sessions in their handshake, plus
    /// listening sockets paused after an accept error: all have deadlines the sweep checks.
    private var connecting = 0
    private(set) var now: UInt64 = 0
    /// Descriptors whose events go to drivers: while nonzero the loop wakes to sweep.
    private var drivenFDs = 0
    private var nextSweep: UInt64 = 0
    private let buffer: UnsafeMutableRawPointer
    /// Connections parked since the heap was last trimmed, and when that was.
    private var parkedSinceTrim = 0
    private var closedBeforeParking: Set<Int> = []
    private var closedBeforeStart: Set<Int> = []
    private var tunnelsSinceTrim = 0
    private var lastTrim: UInt64 = 0

    init?() {
        epfd = wproxy_epoll_create()
        wakeFD = wproxy_eventfd()
        guard epfd >= 0, wakeFD >= 0,
              wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, wakeFD, WPROXY_EPOLLIN, Self.wakeToken) == 0
        else {
            if epfd >= 0 { close(epfd) }
            if wakeFD >= 0 { close(wakeFD) }
            return nil
        }
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.readSize, alignment: 16)
    }

    /// Starts the loop's thread (detached; it runs until the process exits).
    func startThread() -> Bool {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { argument in
            let loop = Unmanaged<EngineLoop>.fromOpaque(argument!).takeRetainedValue()
            wproxy_set_thread_name("wproxy-relay")
            loop.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<EngineLoop>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    /// Any thread: queue a command and wake the loop if it may be asleep.
    func submit(_ command: Command) {
        let wasEmpty = inbox.withLock { queue -> Bool in
            queue.append(command)
            return queue.count == 1
        }
        if wasEmpty {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    // MARK: - Loop thread

    private func run() {
        let events = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
        let tokens = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
        while true {
            let timeout: Int32 = idleTimed + connecting + drivenFDs > 0 || parkedSinceTrim + tunnelsSinceTrim > 0 ? Int32(Self.sweepMS) : -1
            let count = wproxy_epoll_wait(epfd, events, tokens, 256, timeout)
            now = Self.monotonicMS()
            if count < 0 {
                if errno == EINTR { continue }
                fatalError("tunnel engine: epoll_wait failed, errno \(errno)")
            }
            for index in 0..<Int(count) {
                let token = tokens[index]
                if token == Self.wakeToken {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)  // reset before draining, so no wake-up is lost
                    drainInbox()
                } else {
                    handle(fd: Int32(truncatingIfNeeded: token), events: events[index])
                }
            }
            if now >= nextSweep {
                nextSweep = now + Self.sweepMS
                if idleTimed + connecting + drivenFDs > 0 { sweepIdle() }
                trimHeap()
            }
        }
    }

    private func drainInbox() {
        let commands = inbox.withLock { queue -> [Command] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        for command in commands {
            switch command {
            case .start(let request): start(EngineTunnel(request))
            case .close(let fd, let id):
                if Int(fd) < table.count, case .tunnel(let tunnel)? = table[Int(fd)], tunnel.request.id == id {
                    finish(tunnel, .aborted)
                } else if Int(fd) < table.count, case .session(let session)? = table[Int(fd)], session.id == id {
                    endSession(session)
                } else if Int(fd) < table.count, case .driver(let driver)? = table[Int(fd)], driver.trackerID == id {
                    driver.drain(force: true, EngineIO(loop: self))
                } else {
                    closedBeforeStart.insert(id)  // the drain overtook the start
                }
            case .park(let request): park(ParkedConnection(request))
            case .drive(let start):
                start.driver.start(EngineIO(loop: self))
                if let id = start.driver.trackerID, closedBeforeStart.remove(id) != nil {
                    start.driver.drain(force: true, EngineIO(loop: self))
                }
            case .quiesce(let fd, let id):
                if Int(fd) < table.count, case .driver(let driver)? = table[Int(fd)], driver.trackerID == id {
                    driver.drain(force: false, EngineIO(loop: self))
                } else {
                    closedBeforeStart.insert(id)  // the drain overtook the start
                }
            case .listen(let socket):
                setSlot(socket.fd, .listener(socket))
                if wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, socket.fd, WPROXY_EPOLLIN | WPROXY_EPOLLEXCLUSIVE, UInt64(socket.fd)) != 0 {
                    table[Int(socket.fd)] = nil
                    close(socket.fd)
                }
            case .unlisten(let owner, let done):
                for index in table.indices {
                    guard case .listener(let socket)? = table[index], socket.owner === owner else { continue }
                    table[index] = nil
                    if socket.pausedUntil != 0 { connecting -= 1 }
                    close(socket.fd)
                }
                done()
            case .closeParked(let fd, let id):
                if Int(fd) < table.count, case .parked(let parked)? = table[Int(fd)], parked.request.id == id {
                    unpark(parked, wake: false)
                } else {
                    closedBeforeParking.insert(id)  // the drain overtook the park request
                }
            }
        }
    }

    private func start(_ tunnel: EngineTunnel) {
        tunnel.lastActive = now &- min(tunnel.idleSoFarMS, now)
        if tunnel.idleMS > 0 { idleTimed += 1 }
        tunnelsSinceTrim += 1
        for side in 0...1 { setSlot(tunnel[side].fd, .tunnel(tunnel)) }
        if closedBeforeStart.remove(tunnel.request.id) != nil { return finish(tunnel, .aborted) }
        if let connect = tunnel.request.connect {
            // Only the upstream is watched, for the connect's outcome; the client joins after it.
            connecting += 1
            tunnel.connectDeadline = now + connect.timeoutMS
            // A client accepted by the engine is in the set already, for reading.
            tunnel.client.interest = tunnel.request.clientRegistered ? WPROXY_EPOLLIN : Self.unregistered
            tunnel.upstream.interest = Self.unregistered
            // Over loopback the connect has usually finished by now: then relay at once, without
            // waiting for the writable event.
            if wproxy_socket_port(tunnel.upstream.fd, 1) >= 0 {
                return connectReady(tunnel)
            }
            if tunnel.client.interest != Self.unregistered {
                // Not read until connected (level-triggered, it would report the same bytes forever).
                _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_DEL, tunnel.client.fd, 0, 0)
                tunnel.client.interest = Self.unregistered
            }
            tunnel.upstream.interest = WPROXY_EPOLLOUT
            if wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, tunnel.upstream.fd, WPROXY_EPOLLOUT, UInt64(tunnel.upstream.fd)) != 0 {
                return connectFailed(tunnel, errno)
            }
            return
        }
        for side in 0...1 {
            let wanted = tunnel.wantedInterest(side)
            if wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, tunnel[side].fd, wanted, UInt64(tunnel[side].fd)) != 0 {
                return finish(tunnel, .error)
            }
            tunnel[side].interest = wanted
        }
        settle(tunnel)
    }

    private func setSlot(_ fd: Int32, _ slot: Slot) {
        if Int(fd) >= table.count {
            table.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - table.count + 1024))
        }
        table[Int(fd)] = slot
    }

    private func park(_ parked: ParkedConnection) {
        parked.deadline = now + parked.request.timeoutMS
        idleTimed += 1
        parkedSinceTrim += 1
        setSlot(parked.fd, .parked(parked))
        if closedBeforeParking.remove(parked.request.id) != nil
            || wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, parked.fd, WPROXY_EPOLLIN, UInt64(parked.fd)) != 0 {
            unpark(parked, wake: false)
        }
    }

    /// Ends a parked connection: back to its listener (`wake`) or closed.
    private func unpark(_ parked: ParkedConnection, wake: Bool) {
        guard !parked.finished else { return }
        parked.finished = true
        idleTimed -= 1
        if case .parked(let slot)? = table[Int(parked.fd)], slot === parked { table[Int(parked.fd)] = nil }
        if wake {
            // The socket goes to NIO's own epoll; ours must forget it first.
            _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_DEL, parked.fd, 0, 0)
            parked.request.parking.reopen(parked.request)
        } else {
            close(parked.fd)
            parked.request.parking.ended(parked.request)
        }
    }

    private func handle(fd: Int32, events: UInt32) {
        guard Int(fd) < table.count, let slot = table[Int(fd)] else { return }
        let tunnel: EngineTunnel
        switch slot {
        case .parked(let parked):
            // Data, a hang-up or an error: the listener's new channel sees which.
            return unpark(parked, wake: true)
        case .session(let session):
            return readSession(session)
        case .listener(let socket):
            return accept(socket)
        case .driver(let driver):
            return driver.handle(fd: fd, events: events, EngineIO(loop: self))
        case .tunnel(let found):
            tunnel = found
        }
        guard !tunnel.finished else { return }
        if tunnel.connecting {
            if fd == tunnel.upstream.fd { connectReady(tunnel) }
            return
        }
        let side = tunnel.client.fd == fd ? 0 : 1
        if events & WPROXY_EPOLLERR != 0 {
            return finish(tunnel, .error)
        }
        if events & WPROXY_EPOLLOUT != 0, tunnel[side].hasOutput {
            flushOutbox(tunnel, side: side)
            if tunnel.finished { return }
        }
        if events & (WPROXY_EPOLLIN | WPROXY_EPOLLHUP) != 0 {
            if tunnel[side].sawEOF {
                // Hung up with nothing more to read: the socket is gone both ways.
                if events & WPROXY_EPOLLHUP != 0 { return finish(tunnel, .closed) }
            } else {
                pump(tunnel, from: side)
                if tunnel.finished { return }
                // A hang-up we cannot read up to yet (the partner has not taken the last chunk):
                // level-triggered epoll would report it again at once, forever. Leave the set
                // until the partner drains (`settle` adds the socket back).
                if events & WPROXY_EPOLLHUP != 0, !tunnel[side].sawEOF, !tunnel[side].hasOutput,
                   tunnel[1 - side].hasOutput
                {
                    _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_DEL, fd, 0, 0)
                    tunnel[side].interest = Self.unregistered
                }
            }
        }
        settle(tunnel)
    }

    /// The upstream socket of a connecting tunnel is writable or failed: see which, then either
    /// reply to the client and start relaying, or reply with the failure and end the tunnel.
    private func connectReady(_ tunnel: EngineTunnel) {
        let error = wproxy_socket_error(tunnel.upstream.fd)
        if error != 0 { return connectFailed(tunnel, error) }
        guard let connect = tunnel.request.connect else { return }
        tunnel.connecting = false
        connecting -= 1
        tunnel.lastActive = now
        tunnel.client.outbox = connect.successReply
        tunnel.upstream.outbox = tunnel.request.upstreamFirst
        tunnel.request.connect = nil
        tunnel.request.upstreamFirst = []
        for side in 0...1 where tunnel[side].hasOutput {
            flushOutbox(tunnel, side: side)
            if tunnel.finished { return }
        }
        settle(tunnel)
    }

    /// The upstream connect failed (or timed out: `ETIMEDOUT`): the client gets the failure reply
    /// (best effort: one non-blocking send of a few bytes) and the tunnel ends.
    private func connectFailed(_ tunnel: EngineTunnel, _ error: Int32) {
        guard let connect = tunnel.request.connect else { return finish(tunnel, .error) }
        let reply = connect.failureReply(error)
        reply.withUnsafeBytes { bytes in
            _ = wproxy_send(tunnel.client.fd, bytes.baseAddress, UInt(bytes.count))
        }
        tunnel.connectError = error
        finish(tunnel, .error)
    }

    /// `EngineSide.interest` of a socket taken out of the epoll set.
    private static let unregistered = UInt32.max

    /// Reads from `side` and writes straight to its partner, until the socket is drained, the
    /// partner stops accepting (the rest is queued and reading stops: backpressure), or EOF.
    private func pump(_ tunnel: EngineTunnel, from side: Int) {
        let source = tunnel[side].fd
        let target = 1 - side
        for _ in 0..<4 {
            guard !tunnel[target].hasOutput else { return }
            let count = wproxy_recv(source, buffer, UInt(Self.readSize))
            if count > 0 {
                tunnel.countRead(count, from: side)
                tunnel.lastActive = now
                let sent = wproxy_send(tunnel[target].fd, buffer, UInt(count))
                if sent < count {
                    if sent < 0, errno != EAGAIN, errno != EWOULDBLOCK { return finish(tunnel, .error) }
                    let from = max(sent, 0)
                    tunnel[target].outbox = Array(UnsafeRawBufferPointer(start: buffer + from, count: count - from))
                    tunnel[target].outboxOffset = 0
                    return
                }
                if count < Self.readSize { return }  // drained: skip the read that would say EAGAIN
            } else if count == 0 {
                tunnel[side].sawEOF = true
                return
            } else {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                return finish(tunnel, .error)
            }
        }
    }

    private func flushOutbox(_ tunnel: EngineTunnel, side: Int) {
        let fd = tunnel[side].fd
        let sent = tunnel[side].outbox.withUnsafeBytes { bytes -> Int in
            let offset = tunnel[side].outboxOffset
            return wproxy_send(fd, bytes.baseAddress! + offset, UInt(bytes.count - offset))
        }
        if sent < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            return finish(tunnel, .error)
        }
        tunnel[side].outboxOffset += sent
        if !tunnel[side].hasOutput {
            tunnel[side].outbox = []  // free it: idle tunnels hold no buffers
            tunnel[side].outboxOffset = 0
        }
    }

    /// After any progress: pass EOFs on once everything before them was delivered, end the
    /// tunnel when both directions are done, and update each socket's epoll interest.
    private func settle(_ tunnel: EngineTunnel) {
        for side in 0...1 {
            let partnerEOF = tunnel[1 - side].sawEOF
            if partnerEOF, !tunnel[side].shutWrite, !tunnel[side].hasOutput {
                tunnel[side].shutWrite = true
                _ = shutdown(tunnel[side].fd, Int32(SHUT_WR))
            }
        }
        if tunnel.isComplete { return finish(tunnel, .closed) }
        for side in 0...1 {
            let wanted = tunnel.wantedInterest(side)
            let current = tunnel[side].interest
            if current == Self.unregistered {
                guard wanted != 0 else { continue }
                tunnel[side].interest = wanted
                _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, tunnel[side].fd, wanted, UInt64(tunnel[side].fd))
            } else if wanted != current {
                tunnel[side].interest = wanted
                _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_MOD, tunnel[side].fd, wanted, UInt64(tunnel[side].fd))
            }
        }
    }

    // MARK: - Accepting and handshakes (EngineListening)

    private func accept(_ socket: EngineListenSocket) {
        let owner = socket.owner
        var address = sockaddr_storage()
        var length: UInt32 = 0
        for _ in 0..<64 {
            let fd = wproxy_accept(socket.fd, &address, &length)
            guard fd >= 0 else {
                // EAGAIN: done (or another thread took it). Out of descriptors or memory: the
                // connection stays queued, so stop watching for a moment instead of spinning.
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM { pauseListening(socket) }
                return
            }
            if let (factory, parking) = owner.drivers {
                guard let id = owner.tracker.admitHanded(.driven(self, fd)) else {
                    close(fd)  // --max-connections reached: refused as the NIO path refuses it
                    continue
                }
                let handoff = DriveHandoff(clientFD: fd, upstreamFD: -1, id: id, eventLoop: owner.anyEventLoop, parking: parking)
                factory.makeDriver(handoff, client: EngineConnect.socketAddress(address)).start(EngineIO(loop: self))
                continue
            }
            guard let id = owner.tracker.admitHanded(.tunnel(self, fd)) else {
                close(fd)  // --max-connections reached: refused as the NIO path refuses it
                continue
            }
            guard let sessions = owner.sessions else {
                owner.reopen(fd: fd, id: id, resume: nil)
                continue
            }
            let session = EngineSession(
                fd: fd, id: id, handler: sessions.makeSession(client: EngineConnect.socketAddress(address)),
                deadline: now + ChannelDescriptor.milliseconds(sessions.handshakeTimeout), owner: owner)
            connecting += 1
            setSlot(fd, .session(session))
            // Clients usually speak at once: read before waiting (a miss costs one EAGAIN).
            readSession(session)
            if !session.ended, !session.registered {
                session.registered = true
                if wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, fd, WPROXY_EPOLLIN, UInt64(fd)) != 0 { endSession(session) }
            }
        }
    }

    private func pauseListening(_ socket: EngineListenSocket) {
        guard socket.pausedUntil == 0 else { return }
        _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_DEL, socket.fd, 0, 0)
        socket.pausedUntil = now + 100
        connecting += 1
    }

    private func resumeListening(_ socket: EngineListenSocket) {
        socket.pausedUntil = 0
        connecting -= 1
        _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, socket.fd, WPROXY_EPOLLIN | WPROXY_EPOLLEXCLUSIVE, UInt64(socket.fd))
    }

    /// Reads what the client sent and carries out the session's steps until it waits, ends,
    /// moves to NIO or becomes a tunnel.
    private func readSession(_ session: EngineSession) {
        while !session.ended {
            let count = wproxy_recv(session.fd, buffer, UInt(Self.readSize))
            if count == 0 { return endSession(session, .clientClosed) }  // gone before finishing its handshake
            if count < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN, errno != EWOULDBLOCK { endSession(session, .clientError) }
                return
            }
            switch session.handler.received(UnsafeRawBufferPointer(start: buffer, count: count)) {
            case .wait(let reply):
                if !sendAll(reply, to: session.fd) { return endSession(session) }
                if count < Self.readSize { return }  // drained
            case .close(let reply):
                _ = sendAll(reply, to: session.fd)
                return endSession(session)
            case .moveToNIO(let reply, let resume):
                if !sendAll(reply, to: session.fd) { return endSession(session) }
                return moveToNIO(session, resume: resume)
            case .tunnel(let start):
                return startTunnel(from: session, start)
            }
        }
    }

    /// Handshake replies are a few bytes into an empty socket buffer: all of it goes, or the
    /// client is not reading and is dropped.
    private func sendAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        guard !bytes.isEmpty else { return true }
        let sent = bytes.withUnsafeBytes { wproxy_send(fd, $0.baseAddress, UInt($0.count)) }
        return sent == bytes.count
    }

    private func leaveSession(_ session: EngineSession) {
        session.ended = true
        connecting -= 1
        if case .session(let slot)? = table[Int(session.fd)], slot === session { table[Int(session.fd)] = nil }
    }

    /// `why`: set when the client, not the session, ended the handshake (the session may log it).
    private func endSession(_ session: EngineSession, _ why: EngineSessionEnd? = nil) {
        guard !session.ended else { return }
        if let why { session.handler.ended(why) }
        leaveSession(session)
        close(session.fd)
        session.owner.tracker.tunnelEnded(session.id)
    }

    private func moveToNIO(_ session: EngineSession, resume: @escaping @Sendable (any Channel, TunnelHandoff) throws -> Void) {
        leaveSession(session)
        if session.registered { _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_DEL, session.fd, 0, 0) }
        session.owner.reopen(fd: session.fd, id: session.id, resume: resume)
    }

    private func startTunnel(from session: EngineSession, _ start: EngineTunnelStart) {
        leaveSession(session)
        var request = TunnelRequest(
            clientFD: session.fd, upstreamFD: start.upstreamFD, id: session.id,
            clientSentEOF: false, upstreamSentEOF: false, bytesUp: start.upstreamFirst.count, bytesDown: 0,
            idleMS: start.idleTimeout.map { ChannelDescriptor.milliseconds($0) } ?? 0, idleSoFarMS: 0,
            tracker: session.owner.tracker, onFinish: FinishCallback(sendable: start.onFinish),
            eventLoop: session.owner.anyEventLoop)
        request.connect = PendingConnect(
            timeoutMS: ChannelDescriptor.milliseconds(start.connectTimeout), successReply: start.successReply,
            failureReply: start.failureReply)
        request.upstreamFirst = start.upstreamFirst
        request.clientRegistered = session.registered
        self.start(EngineTunnel(request))
    }

    /// Moving a connection here frees its channels' memory, but in the middle of a heap that grew
    /// while the connections were in NIO, so malloc keeps those pages and the process's memory
    /// stays where it was. After a burst of moves, hand free pages back (at most every 2 s: it
    /// walks the heap).
    private func trimHeap() {
        guard parkedSinceTrim + tunnelsSinceTrim >= 256, now &- lastTrim >= 2000 else { return }
        parkedSinceTrim = 0
        tunnelsSinceTrim = 0
        lastTrim = now
        _ = wproxy_malloc_trim()
    }

    private func sweepIdle() {
        for index in table.indices {
            switch table[index] {
            case .tunnel(let tunnel)?:
                // Each tunnel sits in two slots; the client's slot stands for it.
                guard !tunnel.finished, Int(tunnel.client.fd) == index else { continue }
                if tunnel.connecting {
                    if now >= tunnel.connectDeadline { connectFailed(tunnel, ETIMEDOUT) }
                } else if tunnel.idleMS > 0, now &- tunnel.lastActive >= tunnel.idleMS {
                    finish(tunnel, .idleTimeout)
                }
            case .parked(let parked)?:
                if now >= parked.deadline { unpark(parked, wake: false) }
            case .session(let session)?:
                if now >= session.deadline { endSession(session, .timedOut) }
            case .listener(let socket)?:
                if socket.pausedUntil != 0, now >= socket.pausedUntil { resumeListening(socket) }
            case .driver(let driver)?:
                driver.sweep(fd: Int32(index), EngineIO(loop: self))
            case nil:
                continue
            }
        }
    }

    private func finish(_ tunnel: EngineTunnel, _ end: RelayEnd) {
        guard !tunnel.finished else { return }
        tunnel.finished = true
        if tunnel.idleMS > 0 { idleTimed -= 1 }
        if tunnel.connecting {
            tunnel.connecting = false
            connecting -= 1
        }
        for side in 0...1 {
            let fd = tunnel[side].fd
            if Int(fd) < table.count, case .tunnel(let slot)? = table[Int(fd)], slot === tunnel { table[Int(fd)] = nil }
            // Ours is the socket's only descriptor (NIO closed its own at the hand-off), so closing
            // it also removes it from the epoll set.
            close(fd)
            tunnel[side].outbox = []
        }
        tunnel.request.ended(RelayResult(
            bytesUp: tunnel.bytesUp, bytesDown: tunnel.bytesDown, end: tunnel.end ?? end, connectError: tunnel.connectError))
    }

    // MARK: - Drivers (EngineIO)

    var scratch: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffer, count: Self.readSize)
    }

    func driverWatch(_ fd: Int32, events: UInt32, driver: any EngineDriver) -> Bool {
        guard wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_ADD, fd, events, UInt64(fd)) == 0 else { return false }
        driverAssign(fd, to: driver)
        return true
    }

    func driverModify(_ fd: Int32, events: UInt32) {
        _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_MOD, fd, events, UInt64(fd))
    }

    func driverAssign(_ fd: Int32, to driver: any EngineDriver) {
        if Int(fd) < table.count, case .driver? = table[Int(fd)] {} else { drivenFDs += 1 }
        setSlot(fd, .driver(driver))
    }

    func driverForget(_ fd: Int32) {
        _ = wproxy_epoll_ctl(epfd, WPROXY_EPOLL_CTL_DEL, fd, 0, 0)
        if Int(fd) < table.count, case .driver? = table[Int(fd)] {
            table[Int(fd)] = nil
            drivenFDs -= 1
        }
    }

    func driverClose(_ fd: Int32) {
        if Int(fd) < table.count, case .driver? = table[Int(fd)] {
            table[Int(fd)] = nil
            drivenFDs -= 1
        }
        Glibc.close(fd)  // (also leaves the epoll set: the engine holds the only descriptor)
    }

    private static func monotonicMS() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1000 &+ UInt64(spec.tv_nsec) / 1_000_000
    }
}
