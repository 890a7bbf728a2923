import ArgumentParser
import Dispatch

/// The process entry point: runs ``WProxyCommand`` on the cooperative pool and parks the main
/// thread in a plain wait until it is done.
///
/// Not `@main` on the async command itself: Swift's async main ends in `dispatch_main()`, which on
/// Linux leaves the main thread inside `pthread_exit` forever. glibc's `setuid`/`setgid` skip a
/// thread in that state, so `--user` would leave the main thread (the one `/proc/PID/status`
/// shows) running as root. A main thread that only waits is switched with all the others.
@main
enum EntryPoint {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        // Detached: a task inheriting the main actor would wait for the main thread, which is parked below.
        Task.detached {
            await WProxyCommand.main()
            finished.signal()
        }
        finished.wait()
    }
}
