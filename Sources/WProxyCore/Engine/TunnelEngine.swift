#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import Synchronization

/// The relay threads that carry established tunnels once their handshake is done.
///
/// `Relay.join` hands both sockets of a plain-TCP tunnel over (see `Relay.handOff`); the NIO
/// channels are then closed and the tunnel lives on as two descriptors in an `EngineLoop`.
/// `WPROXY_RELAY=nio` in the environment turns this off (every tunnel stays a NIO glue pair),
/// for comparison and as an escape hatch.
package final class TunnelEngine: Sendable {
    private let loops: [EngineLoop]

    private static let threadCount = Atomic<Int>(1)

    /// Sets how many relay threads the engine starts (the runtime passes `--workers`). Only the
    /// first use of `shared` reads it.
    package static func configure(threads: Int) {
        threadCount.store(max(1, threads), ordering: .relaxed)
    }

    /// The process's engine, or nil when it is turned off or could not start.
    package static let shared: TunnelEngine? = {
        #if os(Linux)
        if let setting = getenv("WPROXY_RELAY"), String(cString: setting) == "nio" { return nil }
        var loops: [EngineLoop] = []
        for _ in 0..<threadCount.load(ordering: .relaxed) {
            guard let loop = EngineLoop(), loop.startThread() else { break }
            loops.append(loop)
        }
        return loops.isEmpty ? nil : TunnelEngine(loops: loops)
        #else
        return nil
        #endif
    }()

    private init(loops: [EngineLoop]) {
        self.loops = loops
    }

    var allLoops: [EngineLoop] { loops }

    func loop(for fd: Int32) -> EngineLoop {
        loops[Int(fd) % loops.count]
    }
}
