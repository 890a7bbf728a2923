#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import WProxyHTTP

/// `--static DIR`: answers GET and HEAD for files under DIR.
///
/// Every file-system call (realpath, stat, open) runs on a thread pool, never on an event loop;
/// the body is then streamed by the engine with `NonBlockingFileIO`. A path is served only if,
/// after resolving every symlink, it is still inside DIR. A directory is served through its
/// `index.html`. Anything not found (or refused by ``StaticPathResolver``) is not answered here:
/// the engine proxies it, or answers 404 when there are no upstreams.
final class StaticFileServer: Sendable {
    let root: String
    let threadPool: NIOThreadPool

    struct FileInfo: Sendable {
        let descriptor: CInt
        let size: Int64
        let modified: Int
        let path: String
    }

    /// - Parameter root: the directory; resolved once here so later checks compare real paths.
    init(root: String, threadPool: NIOThreadPool) throws {
        guard let real = Self.realPath(root) else { throw StaticRootError(root: root) }
        var info = stat()
        guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { throw StaticRootError(root: root) }
        self.root = real
        self.threadPool = threadPool
    }

    func lookup(_ head: RawRequestHead, eventLoop: any EventLoop) -> EventLoopFuture<LocalResponse?> {
        guard head.method == .GET || head.method == .HEAD else { return eventLoop.makeSucceededFuture(nil) }
        guard case .path(let segments, _) = StaticPathResolver.resolve(head.uri) else {
            return eventLoop.makeSucceededFuture(nil)
        }
        let root = self.root
        let conditions = Conditions(method: head.method, range: head.value("range"), ifNoneMatch: head.value("if-none-match"))
        return threadPool.runIfActive(eventLoop: eventLoop) {
            Self.open(segments: segments, root: root)
        }.map { info in
            info.map { Self.response(for: $0, conditions: conditions) }
        }
    }

    /// Finds and opens the file (blocking: thread pool only).
    static func open(segments: [String], root: String) -> FileInfo? {
        let joined = segments.isEmpty ? root : root + "/" + segments.joined(separator: "/")
        guard var real = realPath(joined), isInside(real, root: root) else { return nil }
        var info = stat()
        guard stat(real, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT == S_IFDIR {
            guard let index = realPath(real + "/index.html"), isInside(index, root: root) else { return nil }
            real = index
        }
        let descriptor = Glibc.open(real, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            return nil
        }
        return FileInfo(descriptor: descriptor, size: Int64(info.st_size), modified: Int(info.st_mtim.tv_sec), path: real)
    }

    static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root == "/" ? "/" : root + "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Builds the response for an opened file: 200, 206, 304 or 416.
    /// The request headers a static response depends on.
    struct Conditions: Sendable {
        var method: HTTPMethod
        var range: String?
        var ifNoneMatch: String?
    }

    static func response(for file: FileInfo, conditions: Conditions) -> LocalResponse {
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: file.descriptor)
        let etag = "\"\(String(file.modified, radix: 16))-\(String(file.size, radix: 16))\""
        var headers = HTTPHeaders()
        headers.add(name: "ETag", value: etag)
        headers.add(name: "Last-Modified", value: HTTPDate.format(epochSeconds: file.modified))
        headers.add(name: "Accept-Ranges", value: "bytes")
        if let match = conditions.ifNoneMatch, ETagMatch.matches(match, etag: etag) {
            try? handle.close()
            return LocalResponse(head: HTTPResponseHead(version: .http1_1, status: .notModified, headers: headers), body: .empty)
        }
        headers.add(name: "Content-Type", value: MediaTypes.forPath(file.path))
        switch ByteRange.parse(conditions.range, size: file.size) {
        case .whole:
            headers.add(name: "Content-Length", value: String(file.size))
            return LocalResponse(
                head: HTTPResponseHead(version: .http1_1, status: .ok, headers: headers),
                body: .file(handle, offset: 0, length: file.size))
        case .partial(let start, let end):
            headers.add(name: "Content-Length", value: String(end - start + 1))
            headers.add(name: "Content-Range", value: "bytes \(start)-\(end)/\(file.size)")
            return LocalResponse(
                head: HTTPResponseHead(version: .http1_1, status: .partialContent, headers: headers),
                body: .file(handle, offset: start, length: end - start + 1))
        case .unsatisfiable:
            try? handle.close()
            headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Range", value: "bytes */\(file.size)")
            let body = ByteBuffer(string: "range not satisfiable\n")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            return LocalResponse(
                head: HTTPResponseHead(version: .http1_1, status: .rangeNotSatisfiable, headers: headers),
                body: .buffer(body))
        }
    }
}

struct StaticRootError: Error, CustomStringConvertible {
    let root: String
    var description: String { "static directory \(root) does not exist or is not a directory" }
}

/// `If-None-Match` against one strong ETag (weak comparison, as RFC 9110 §13.1.2 asks).
enum ETagMatch {
    static func matches(_ header: String, etag: String) -> Bool {
        for candidate in header.split(separator: ",") {
            var tag = candidate.trimmingSpaces
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag == etag { return true }
        }
        return false
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) without Foundation.
enum HTTPDate {
    static func format(epochSeconds: Int) -> String {
        var seconds = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
