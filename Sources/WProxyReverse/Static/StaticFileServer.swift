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

    /// What the file system said about a request path.
    enum Found: Sendable {
        case file(FileInfo)
        /// A directory asked for without its trailing slash: redirect, as nginx does, so that
        /// relative links in its index resolve below it.
        case directory
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
        guard case .path(let segments, let trailingSlash) = StaticPathResolver.resolve(head.uri) else {
            return eventLoop.makeSucceededFuture(nil)
        }
        let root = self.root
        let conditions = Conditions(
            method: head.method, range: head.value("range"), ifNoneMatch: head.value("if-none-match"),
            ifModifiedSince: head.value("if-modified-since"), ifRange: head.value("if-range"))
        let uri = head.uri
        return threadPool.runIfActive(eventLoop: eventLoop) {
            Self.open(segments: segments, trailingSlash: trailingSlash, root: root)
        }.map { found in
            switch found {
            case .file(let info)?: return Self.response(for: info, conditions: conditions)
            case .directory?: return Self.redirectToDirectory(uri)
            case nil: return nil
            }
        }
    }

    /// Finds and opens the file (blocking: thread pool only).
    static func open(segments: [String], trailingSlash: Bool, root: String) -> Found? {
        let joined = segments.isEmpty ? root : root + "/" + segments.joined(separator: "/")
        guard var real = realPath(joined), isInside(real, root: root) else { return nil }
        var info = stat()
        guard stat(real, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT == S_IFDIR {
            if !trailingSlash && !segments.isEmpty { return .directory }
            guard let index = realPath(real + "/index.html"), isInside(index, root: root) else { return nil }
            real = index
        }
        let descriptor = Glibc.open(real, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            return nil
        }
        return .file(FileInfo(descriptor: descriptor, size: Int64(info.st_size), modified: Int(info.st_mtim.tv_sec), path: real))
    }

    /// 301 to the same path with a slash added (the query kept).
    static func redirectToDirectory(_ uri: String) -> LocalResponse {
        var location = uri
        if let query = uri.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            location = String(uri[..<query]) + "/" + String(uri[query...])
        } else {
            location += "/"
        }
        var headers = HTTPHeaders()
        headers.add(name: "Location", value: location)
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        let body = ByteBuffer(string: "moved to \(location)\n")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        return LocalResponse(head: HTTPResponseHead(version: .http1_1, status: .movedPermanently, headers: headers), body: .buffer(body))
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
        var ifModifiedSince: String?
        var ifRange: String?

        init(method: HTTPMethod, range: String? = nil, ifNoneMatch: String? = nil,
             ifModifiedSince: String? = nil, ifRange: String? = nil) {
            self.method = method
            self.range = range
            self.ifNoneMatch = ifNoneMatch
            self.ifModifiedSince = ifModifiedSince
            self.ifRange = ifRange
        }

        /// RFC 9110 §13.2.2: If-None-Match decides when present; otherwise If-Modified-Since
        /// (GET and HEAD only) with the file's time.
        func notModified(etag: String, modified: Int) -> Bool {
            if let ifNoneMatch { return ETagMatch.matches(ifNoneMatch, etag: etag) }
            guard method == .GET || method == .HEAD, let ifModifiedSince,
                  let since = HTTPDate.parse(ifModifiedSince) else { return false }
            return modified <= since
        }

        /// RFC 9110 §13.1.5: a Range applies only while If-Range (when present) still names this
        /// representation: the same strong ETag, or exactly its Last-Modified date.
        func rangeApplies(etag: String, modified: Int) -> Bool {
            guard let ifRange else { return true }
            let value = ifRange.trimmingSpaces
            if value.hasPrefix("\"") { return value == etag }
            return HTTPDate.parse(String(value)) == modified
        }
    }

    static func response(for file: FileInfo, conditions: Conditions) -> LocalResponse {
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: file.descriptor)
        let etag = "\"\(String(file.modified, radix: 16))-\(String(file.size, radix: 16))\""
        var headers = HTTPHeaders()
        headers.add(name: "ETag", value: etag)
        headers.add(name: "Last-Modified", value: HTTPDate.format(epochSeconds: file.modified))
        headers.add(name: "Accept-Ranges", value: "bytes")
        if conditions.notModified(etag: etag, modified: file.modified) {
            try? handle.close()
            return LocalResponse(head: HTTPResponseHead(version: .http1_1, status: .notModified, headers: headers), body: .empty)
        }
        headers.add(name: "Content-Type", value: MediaTypes.forPath(file.path))
        let range = conditions.rangeApplies(etag: etag, modified: file.modified) ? conditions.range : nil
        switch ByteRange.parse(range, size: file.size) {
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
package enum HTTPDate {
    /// Seconds since the epoch of an IMF-fixdate, or nil for anything else (RFC 9110 §5.6.7: the
    /// obsolete RFC 850 and asctime forms are not accepted; a condition that does not parse is ignored).
    package static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int(parts[1]), parts[1].count == 2, (1...31).contains(day),
              let month = months.firstIndex(of: String(parts[2])),
              let year = Int(parts[3]), parts[3].count == 4, year >= 1970
        else { return nil }
        let clock = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              hour < 24, minute < 60, second < 61
        else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm), no time zone involved.
        let y = month < 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = (month + 10) % 12  // March = 0
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        return days * 86400 + hour * 3600 + minute * 60 + second
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    package static func format(epochSeconds: Int) -> String {
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
