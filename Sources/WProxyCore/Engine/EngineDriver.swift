#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore

/// Sockets the engine serves with a mode's own logic on raw descriptors (the HTTP keep-alive lane,
/// its pool of upstream sockets): the engine owns the epoll set, the thread and the sweep clock;
/// the driver owns its sockets' protocol. Tunnels and parked connections are built in; a driver
/// is how a mode adds a kind of its own without the engine knowing the protocol.
///
/// Confined to one engine thread: every call comes from it, and a driver calls `EngineIO` only
/// from inside those calls.
package protocol EngineDriver: AnyObject {
    /// The client connection's tracker entry (drains find the driver by it); nil for drivers
    /// without a client connection.
    var trackerID: Int? { get }
    /// Called once when the engine takes the driver over: register its sockets here.
    func start(_ io: EngineIO)
    /// Readiness (`WPROXY_EPOLLIN`, `WPROXY_EPOLLOUT`, `WPROXY_EPOLLERR`, `WPROXY_EPOLLHUP`) of a
    /// socket the driver watches.
    func handle(fd: Int32, events: UInt32, _ io: EngineIO)
    /// About four times a second, once per socket assigned to the driver: check deadlines.
    func sweep(fd: Int32, _ io: EngineIO)
    /// A drain. `force` false: finish what is in flight, then close (an idle connection closes
    /// now); true: close now.
    func drain(force: Bool, _ io: EngineIO)
}

/// What a driver may do with the engine thread it runs on. Valid only during a driver call.
package struct EngineIO {
    let loop: EngineLoop

    /// The engine's clock, in milliseconds (read once per wake-up).
    package var now: UInt64 { loop.now }

    /// A 64 KB buffer shared by everything on this thread: its contents last until the driver returns.
    package var scratch: UnsafeMutableRawBufferPointer { loop.scratch }

    /// Identifies the engine thread, for state a mode keeps per thread (pools).
    package var threadKey: ObjectIdentifier { ObjectIdentifier(loop) }

    /// Adds `fd` to the epoll set with `events`, its events going to `driver`. False on failure.
    package func watch(_ fd: Int32, events: UInt32, by driver: any EngineDriver) -> Bool {
        loop.driverWatch(fd, events: events, driver: driver)
    }

    /// Changes the events `fd` is watched for.
    package func modify(_ fd: Int32, events: UInt32) {
        loop.driverModify(fd, events: events)
    }

    /// Sends the events of an already watched `fd` to another driver (no system call).
    package func assign(_ fd: Int32, to driver: any EngineDriver) {
        loop.driverAssign(fd, to: driver)
    }

    /// Takes `fd` out of the epoll set and forgets its driver (the descriptor stays open).
    package func forget(_ fd: Int32) {
        loop.driverForget(fd)
    }

    /// Forgets and closes `fd`.
    package func close(_ fd: Int32) {
        loop.driverClose(fd)
    }
}

/// Makes the driver of a connection the engine accepted (see `ConnectionAcceptor.engineDrivers`).
package protocol EngineDriverFactory: Sendable {
    /// `client`: the peer's address as accepted. Called on the engine thread, which then starts it.
    func makeDriver(_ handoff: DriveHandoff, client: SocketAddress?) -> any EngineDriver
}

/// A driver on its way to an engine thread (created on an event loop, touched only by the engine
/// thread once submitted).
struct DriverStart: @unchecked Sendable {
    let driver: any EngineDriver
}
