import ArgumentParser
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

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
        blockAsynchronousSignals()
        let finished = DispatchSemaphore(value: 0)
        // Detached: a task inheriting the main actor would wait for the main thread, which is parked below.
        Task.detached {
            await WProxyCommand.main()
            finished.signal()
        }
        finished.wait()
    }

    /// As `dispatch_main()` does: the main thread blocks asynchronous signals, so a SIGTERM that
    /// arrives before the signal handling service is set up stays pending for it instead of
    /// killing the process with the default action. (glibc never lets its own set*id signal be
    /// blocked, so `--user` still reaches this thread.)
    private static func blockAsynchronousSignals() {
        #if os(Linux)
        var signals = sigset_t()
        sigfillset(&signals)
        for synchronous in [SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGBUS, SIGSEGV, SIGSYS] {
            sigdelset(&signals, synchronous)
        }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        #endif
    }
}
