#if canImport(Glibc)
import CLibcap
import CWProxyLinux
import Glibc
#endif
import NIOCore

/// `--user NAME`: the switch from root to an unprivileged account once every listener is bound.
///
/// Guarantees, when ``drop(to:keeping:eventLoops:)`` returns:
/// - real, effective and saved user and group IDs are the target's on every thread (glibc applies
///   `setuid`/`setgid`/`setgroups` to all threads), and the supplementary groups are the target's;
/// - the event-loop threads hold exactly the capabilities asked for in their permitted and
///   effective sets, every other thread holds none, and no thread has ambient capabilities;
/// - `setuid(0)` fails on the calling thread and on every event-loop thread.
/// Otherwise it throws, and the caller must exit rather than keep serving (possibly as root).
///
/// Capability sets are per thread in Linux, and so is `PR_SET_KEEPCAPS`, which is why the work is
/// done on each event loop (the threads that may still need a capability, for example to bind a
/// transparent socket on reload) as well as on the calling thread.
package enum PrivilegeDrop {
    /// Looks up the account before anything is bound, so a typo fails at once.
    /// A name that is all digits and matches no account is taken as a numeric uid.
    package static func lookup(_ name: String) throws(PrivilegeDropError) -> TargetUser {
        #if os(Linux)
        guard !name.isEmpty else { throw PrivilegeDropError("--user: the user name is empty") }
        var bufferSize = max(Int(sysconf(Int32(_SC_GETPW_R_SIZE_MAX))), 1024)
        while true {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bufferSize)
            defer { buffer.deallocate() }
            var status = getpwnam_r(name, &entry, buffer, bufferSize, &result)
            if status == 0, result == nil, let uid = UInt32(name) {
                status = getpwuid_r(uid, &entry, buffer, bufferSize, &result)
            }
            if status == ERANGE && bufferSize < 1 << 20 {
                bufferSize *= 4
                continue
            }
            guard status == 0 else {
                throw PrivilegeDropError("--user: cannot look up user '\(name)': \(String(cString: strerror(status)))")
            }
            guard result != nil else { throw PrivilegeDropError("--user: no such user '\(name)'") }
            let user = TargetUser(name: String(cString: entry.pw_name), uid: entry.pw_uid, gid: entry.pw_gid)
            guard user.uid != 0 else {
                throw PrivilegeDropError("--user: '\(name)' is the superuser (uid 0); name an unprivileged user")
            }
            return user
        }
        #else
        throw PrivilegeDropError("--user is supported on Linux only")
        #endif
    }

    /// Switches the whole process to `user`, keeping `keeping` on the event-loop threads.
    package static func drop(
        to user: TargetUser, keeping: Set<Capability>, eventLoops: [any EventLoop]
    ) async throws(PrivilegeDropError) {
        #if os(Linux)
        let keep = keeping.sorted { $0.rawValue < $1.rawValue }
        if !keep.isEmpty {
            try await onEvery(eventLoops, user) { () throws(PrivilegeDropError) in try setKeepCaps(true, user) }
        }
        // One synchronous stretch on one thread: no suspension point between these calls.
        try switchIdentity(user, keep: keep)
        try await onEvery(eventLoops, user) { () throws(PrivilegeDropError) in
            try limitCapabilities(to: keep, user)
            try setKeepCaps(false, user)
            try verify(user, capabilities: keep, exact: true)
        }
        // Resumed on some pool thread, which holds the kept capabilities or none.
        try verify(user, capabilities: keep, exact: false)
        try verifyAllThreads(user, keptMask: keep.reduce(0) { $0 | 1 << UInt64($1.value) })
        #else
        throw PrivilegeDropError("--user is supported on Linux only")
        #endif
    }

    #if os(Linux)
    private static func switchIdentity(_ user: TargetUser, keep: [Capability]) throws(PrivilegeDropError) {
        if !keep.isEmpty { try setKeepCaps(true, user) }
        let alreadyThere = getuid() == user.uid && geteuid() == user.uid && getgid() == user.gid && getegid() == user.gid
        if !alreadyThere {
            guard initgroups(user.name, user.gid) == 0 else { throw failure(user, "setgroups") }
            guard setgid(user.gid) == 0 else { throw failure(user, "setgid(\(user.gid))") }
            guard setuid(user.uid) == 0 else { throw failure(user, "setuid(\(user.uid))") }
        }
        try limitCapabilities(to: keep, user)
        try setKeepCaps(false, user)
    }

    private static func setKeepCaps(_ on: Bool, _ user: TargetUser) throws(PrivilegeDropError) {
        guard wproxy_set_keepcaps(on ? 1 : 0) == 0 else { throw failure(user, "prctl(PR_SET_KEEPCAPS)") }
    }

    /// Permitted and effective = exactly `keep` on the calling thread; inheritable and ambient empty.
    private static func limitCapabilities(to keep: [Capability], _ user: TargetUser) throws(PrivilegeDropError) {
        guard let caps = cap_init() else { throw failure(user, "cap_init") }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        if !keep.isEmpty {
            var values = keep.map(\.value)
            guard cap_set_flag(caps, CAP_PERMITTED, Int32(values.count), &values, CAP_SET) == 0,
                cap_set_flag(caps, CAP_EFFECTIVE, Int32(values.count), &values, CAP_SET) == 0
            else { throw failure(user, "cap_set_flag") }
        }
        guard cap_set_proc(caps) == 0 else { throw failure(user, "cap_set_proc") }
        // EINVAL: a kernel older than 4.3 has no ambient set, so there is nothing to clear.
        guard wproxy_clear_ambient_caps() == 0 || errno == EINVAL else {
            throw failure(user, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)")
        }
    }

    /// Checks the outcome on the calling thread instead of trusting return codes: IDs, no way back
    /// to root, and capabilities (exactly `keep` when `exact`, otherwise at most `keep`).
    private static func verify(
        _ user: TargetUser, capabilities keep: [Capability], exact: Bool
    ) throws(PrivilegeDropError) {
        var ruid: uid_t = 0, euid: uid_t = 0, suid: uid_t = 0
        var rgid: gid_t = 0, egid: gid_t = 0, sgid: gid_t = 0
        guard wproxy_getresuid(&ruid, &euid, &suid) == 0, wproxy_getresgid(&rgid, &egid, &sgid) == 0,
            [ruid, euid, suid].allSatisfy({ $0 == user.uid }), [rgid, egid, sgid].allSatisfy({ $0 == user.gid })
        else {
            throw PrivilegeDropError("cannot drop privileges to \(user.name): user or group IDs did not change")
        }
        guard setuid(0) != 0 else {
            throw PrivilegeDropError("cannot drop privileges to \(user.name): setuid(0) still succeeds")
        }
        guard let current = cap_get_proc() else { throw failure(user, "cap_get_proc") }
        defer { cap_free(UnsafeMutableRawPointer(current)) }
        for capability in Capability.allCases {
            for flag in [CAP_PERMITTED, CAP_EFFECTIVE] {
                var value = CAP_CLEAR
                guard cap_get_flag(current, capability.value, flag, &value) == 0 else { throw failure(user, "cap_get_flag") }
                let isSet = value == CAP_SET
                let wanted = keep.contains(capability)
                // Never one that was not asked for; one that was, unless only "at most" is required.
                guard isSet ? wanted : !(exact && wanted) else {
                    throw PrivilegeDropError("cannot drop privileges to \(user.name): \(capability) is not as asked")
                }
            }
        }
        guard exact ? permittedCount(current) == keep.count : permittedCount(current) <= keep.count else {
            throw PrivilegeDropError("cannot drop privileges to \(user.name): capabilities other than those kept remain")
        }
    }

    /// How many capabilities are in the permitted set (the effective one is a subset of it).
    private static func permittedCount(_ caps: cap_t) -> Int {
        var count = 0
        for value in 0..<cap_max_bits() {
            var flag = CAP_CLEAR
            if cap_get_flag(caps, value, CAP_PERMITTED, &flag) == 0, flag == CAP_SET { count += 1 }
        }
        return count
    }

    private static func onEvery(
        _ eventLoops: [any EventLoop], _ user: TargetUser, _ body: @escaping @Sendable () throws(PrivilegeDropError) -> Void
    ) async throws(PrivilegeDropError) {
        for eventLoop in eventLoops {
            do {
                try await eventLoop.submit { try body() }.get()
            } catch let error as PrivilegeDropError {
                throw error
            } catch {
                throw PrivilegeDropError("cannot drop privileges to \(user.name): \(error)")
            }
        }
    }

    private static func failure(_ user: TargetUser, _ call: String) -> PrivilegeDropError {
        PrivilegeDropError("cannot drop privileges to \(user.name): \(call): \(String(cString: strerror(errno)))")
    }
    #endif
}

/// The account `--user` names.
package struct TargetUser: Hashable, Sendable {
    package let name: String
    package let uid: UInt32
    package let gid: UInt32

    package init(name: String, uid: UInt32, gid: UInt32) {
        self.name = name
        self.uid = uid
        self.gid = gid
    }
}

/// A capability a mode may still need after the drop.
package enum Capability: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Binding transparent (`IP_TRANSPARENT`) sockets for TPROXY.
    case netAdmin = "CAP_NET_ADMIN"

    package var description: String { rawValue }

    #if os(Linux)
    var value: cap_value_t {
        switch self {
        case .netAdmin: return cap_value_t(CAP_NET_ADMIN)
        }
    }
    #endif
}

/// The complete message for a failed lookup or drop.
package struct PrivilegeDropError: Error, Hashable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
