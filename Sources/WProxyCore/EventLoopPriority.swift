#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Gives every event-loop thread the scheduling priority (nice value) the process was started with.
///
/// NIO's threads inherit the nice value of the thread that creates the group. Under Swift
/// concurrency that is a dispatch worker, not the main thread, so `nice -n -20 wproxy …` (as the
/// benchmarks run it) left the event loops at nice 0: under CPU contention they then lost to every
/// other process, and throughput collapsed while the proxy itself looked idle. Linux nice values are
/// per thread; this copies the main thread's value onto each loop's thread. Failures (lowering nice
/// needs CAP_SYS_NICE) are ignored: the loops keep the value they have.
package enum EventLoopPriority {
    package static func inheritProcessNice(_ group: any EventLoopGroup) async {
        #if os(Linux)
        errno = 0
        let processNice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
        guard errno == 0 else { return }
        for loop in group.makeIterator() {
            _ = try? await loop.submit {
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, processNice)
            }.get()
        }
        #endif
    }
}
