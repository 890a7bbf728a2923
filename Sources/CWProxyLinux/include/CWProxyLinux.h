// Linux facilities that Swift's Glibc module lacks or cannot call: prctl is variadic (so Swift
// marks it unavailable), and the netfilter/transparent-proxy socket option numbers live in
// kernel headers that clash with glibc's when both are included.
#ifndef CWPROXYLINUX_H
#define CWPROXYLINUX_H

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <netinet/in.h>

/// getsockopt(SOL_IP, SO_ORIGINAL_DST): the pre-NAT destination of a REDIRECTed IPv4 connection
/// (linux/netfilter_ipv4.h), as a sockaddr_in.
#define WPROXY_SO_ORIGINAL_DST 80
/// getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST): the same for IPv6
/// (linux/netfilter_ipv6/ip6_tables.h), as a sockaddr_in6.
#define WPROXY_IP6T_SO_ORIGINAL_DST 80
/// setsockopt(SOL_IP, IP_TRANSPARENT): accept connections to non-local addresses (TPROXY).
#define WPROXY_IP_TRANSPARENT 19
/// setsockopt(SOL_IPV6, IPV6_TRANSPARENT): the same for IPv6 sockets.
#define WPROXY_IPV6_TRANSPARENT 75
#define WPROXY_SOL_IP 0
#define WPROXY_SOL_IPV6 41

/// prctl(PR_SET_KEEPCAPS, on): keep permitted capabilities across setuid() from root.
/// Per thread, like the capability sets themselves.
static inline int wproxy_set_keepcaps(int on) {
    return prctl(PR_SET_KEEPCAPS, (unsigned long)on, 0UL, 0UL, 0UL);
}

/// prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL): no ambient capabilities survive an exec.
static inline int wproxy_clear_ambient_caps(void) {
    return prctl(PR_CAP_AMBIENT, (unsigned long)PR_CAP_AMBIENT_CLEAR_ALL, 0UL, 0UL, 0UL);
}

/// getresuid/getresgid need _GNU_SOURCE, which Swift's Glibc module does not define; the raw
/// system calls report the calling thread's real, effective and saved IDs.
static inline int wproxy_getresuid(uid_t *ruid, uid_t *euid, uid_t *suid) {
    return (int)syscall(SYS_getresuid, ruid, euid, suid);
}

static inline int wproxy_getresgid(gid_t *rgid, gid_t *egid, gid_t *sgid) {
    return (int)syscall(SYS_getresgid, rgid, egid, sgid);
}
#endif

#endif
