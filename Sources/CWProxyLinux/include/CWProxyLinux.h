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

// --- Tunnel engine: epoll, eventfd, descriptor duplication ------------------------------------
// epoll_event is a packed struct on x86_64, which Swift cannot lay out; these wrappers take and
// return its two fields separately. The flag values are the kernel ABI's.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <malloc.h>
#include <errno.h>
#include <netinet/tcp.h>

#define WPROXY_EPOLLIN 0x001u
#define WPROXY_EPOLLOUT 0x004u
#define WPROXY_EPOLLERR 0x008u
#define WPROXY_EPOLLHUP 0x010u
#define WPROXY_EPOLLEXCLUSIVE (1u << 28)
#define WPROXY_EPOLL_CTL_ADD 1
#define WPROXY_EPOLL_CTL_DEL 2
#define WPROXY_EPOLL_CTL_MOD 3

static inline int wproxy_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

static inline int wproxy_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

/// Waits for at most `max` (≤ 256) events and stores each one's flags and data in the two arrays.
static inline int wproxy_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout_ms) {
    struct epoll_event buffer[256];
    if (max > 256) max = 256;
    int count = epoll_wait(epfd, buffer, max, timeout_ms);
    for (int i = 0; i < count; i++) {
        events[i] = buffer[i].events;
        data[i] = buffer[i].data.u64;
    }
    return count;
}

static inline int wproxy_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/// A second descriptor for the same open socket, close-on-exec.
static inline int wproxy_dup_cloexec(int fd) {
    return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

/// send() without SIGPIPE when the peer has gone.
static inline long wproxy_send(int fd, const void *buffer, unsigned long length) {
    return (long)send(fd, buffer, length, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/// The local (peer = 0) or remote (peer = 1) port of a TCP socket, or -1.
static inline int wproxy_socket_port(int fd, int peer) {
    struct sockaddr_storage address;
    socklen_t length = sizeof(address);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&address, &length)
                  : getsockname(fd, (struct sockaddr *)&address, &length);
    if (rc != 0) return -1;
    if (address.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&address)->sin_port);
    if (address.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return -1;
}

/// Returns free heap pages to the kernel, also from the middle of the heap (glibc's madvise).
static inline int wproxy_malloc_trim(void) {
    return malloc_trim(0);
}

/// Names the calling thread (shown by top -H and ps -L).
static inline void wproxy_set_thread_name(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

static inline long wproxy_recv(int fd, void *buffer, unsigned long length) {
    return (long)recv(fd, buffer, length, MSG_DONTWAIT);
}

/// Starts a non-blocking TCP connect (close-on-exec, TCP_NODELAY on). Returns the socket, with
/// *error 0 (connected already) or EINPROGRESS; or -1 with *error set to why it failed at once.
static inline int wproxy_connect_start(const struct sockaddr *address, unsigned int length, int *error) {
    int fd = socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) { *error = errno; return -1; }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, address, (socklen_t)length) == 0) { *error = 0; return fd; }
    if (errno == EINPROGRESS) { *error = EINPROGRESS; return fd; }
    *error = errno;
    close(fd);
    return -1;
}

/// 1 when the socket is listening (SO_ACCEPTCONN), 0 when not, -1 on error.
static inline int wproxy_is_listening(int fd) {
    int value = 0;
    socklen_t length = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) != 0) return -1;
    return value ? 1 : 0;
}

// glibc declares accept4 only under _GNU_SOURCE, which this header cannot set for its includers.
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// accept4 (non-blocking, close-on-exec) with the peer's address in *address (up to *length bytes).
static inline int wproxy_accept(int fd, struct sockaddr_storage *address, unsigned int *length) {
    socklen_t size = sizeof(*address);
    int client = accept4(fd, (struct sockaddr *)address, &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    *length = (unsigned int)size;
    return client;
}

/// The pending error of a socket (SO_ERROR): 0 once a non-blocking connect has succeeded.
static inline int wproxy_socket_error(int fd) {
    int value = 0;
    socklen_t length = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0) return errno;
    return value;
}
#endif

#endif
