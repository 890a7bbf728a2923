#if canImport(Glibc)
import Glibc
#endif

#if os(Linux)
extension PrivilegeDrop {
    /// Checks every thread of the process through `/proc/self/task`, because credentials and
    /// capabilities belong to threads: a thread that glibc's set*id broadcast skipped (one stuck
    /// in `pthread_exit`, say) would otherwise go on as root unnoticed.
    static func verifyAllThreads(_ user: TargetUser, keptMask: UInt64) throws(PrivilegeDropError) {
        guard let directory = opendir("/proc/self/task") else {
            throw PrivilegeDropError("cannot drop privileges to \(user.name): cannot list /proc/self/task")
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let thread = Int(name) else { continue }
            // A thread that ended since the listing has no status any more: nothing to check.
            guard let status = readSmallFile("/proc/self/task/\(thread)/status") else { continue }
            var ids: [String: [UInt32]] = [:]
            var effective: UInt64?
            for line in status.split(separator: "\n") {
                let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
                guard let key = fields.first else { continue }
                switch key {
                case "Uid:", "Gid:": ids[String(key)] = fields.dropFirst().compactMap { UInt32($0) }
                case "CapEff:": effective = fields.dropFirst().first.flatMap { UInt64($0, radix: 16) }
                default: break
                }
            }
            guard let uids = ids["Uid:"], let gids = ids["Gid:"], let effective, !uids.isEmpty, !gids.isEmpty else {
                throw PrivilegeDropError("cannot drop privileges to \(user.name): cannot read the state of thread \(thread)")
            }
            guard uids.allSatisfy({ $0 == user.uid }), gids.allSatisfy({ $0 == user.gid }) else {
                throw PrivilegeDropError(
                    "cannot drop privileges to \(user.name): thread \(thread) still runs as uid \(uids[0]), gid \(gids[0])")
            }
            guard effective & ~keptMask == 0 else {
                throw PrivilegeDropError(
                    "cannot drop privileges to \(user.name): thread \(thread) still has capabilities 0x\(String(effective, radix: 16))")
            }
        }
    }

    /// The whole of a small file (procfs), or nil when it cannot be read.
    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes += chunk.prefix(count)
            if bytes.count > 1 << 16 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
#endif
