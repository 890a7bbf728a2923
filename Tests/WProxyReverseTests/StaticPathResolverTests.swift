import Testing
@testable import WProxyReverse

@Suite struct StaticPathResolverTests {
    @Test(arguments: [
        ("/", [String]()), ("/index.html", ["index.html"]), ("/a/b.css", ["a", "b.css"]), ("/a//b", ["a", "b"]),
        ("/./a/./b", ["a", "b"]), ("/a%20b.txt", ["a b.txt"]), ("/x.js?v=1#frag", ["x.js"]), ("/%C3%A9t%C3%A9", ["été"]),
    ])
    func resolves(target: String, segments: [String]) {
        guard case .path(let got, _) = StaticPathResolver.resolve(target) else {
            Issue.record("refused \(target)")
            return
        }
        #expect(got == segments)
    }

    /// Every way out of the root is refused before the file system is touched.
    @Test(arguments: [
        "/..", "/../etc/passwd", "/a/../../etc/passwd", "/a/..", "/%2e%2e/etc/passwd", "/%2E%2E/x", "/.%2e/x",
        "/a%2f..%2f..%2fetc%2fpasswd", "/a%2Fb", "/..%5cwin.ini", "/a\\..\\b", "/%00", "/a%00.txt", "/%zz",
        "/%", "/%2", "relative/path", "", "*", "http://evil.test/x", "/%FF%FE",
    ])
    func refuses(target: String) {
        #expect(StaticPathResolver.resolve(target) == .refused)
    }

    @Test func notesTrailingSlash() {
        #expect(StaticPathResolver.resolve("/docs/") == .path(["docs"], trailingSlash: true))
        #expect(StaticPathResolver.resolve("/docs") == .path(["docs"], trailingSlash: false))
    }

    @Test func symlinkOutsideTheRootIsNotInside() {
        #expect(StaticFileServer.isInside("/srv/www/a.txt", root: "/srv/www"))
        #expect(StaticFileServer.isInside("/srv/www", root: "/srv/www"))
        #expect(!StaticFileServer.isInside("/srv/www2/a.txt", root: "/srv/www"))
        #expect(!StaticFileServer.isInside("/etc/passwd", root: "/srv/www"))
    }
}

@Suite struct ByteRangeTests {
    @Test(arguments: [
        ("bytes=0-9", ByteRange.partial(start: 0, end: 9)), ("bytes=10-", .partial(start: 10, end: 99)),
        ("bytes=-5", .partial(start: 95, end: 99)), ("bytes=90-200", .partial(start: 90, end: 99)),
        ("bytes=-500", .partial(start: 0, end: 99)), ("bytes=100-", .unsatisfiable), ("bytes=-0", .unsatisfiable),
        ("bytes=0-1,5-6", .whole), ("items=0-1", .whole), ("bytes=5-1", .whole), ("bytes=a-b", .whole),
    ])
    func parses(header: String, expected: ByteRange) {
        #expect(ByteRange.parse(header, size: 100) == expected)
    }

    @Test func noHeaderMeansWhole() {
        #expect(ByteRange.parse(nil, size: 100) == .whole)
    }

    @Test func etagMatching() {
        #expect(ETagMatch.matches("\"a-1\"", etag: "\"a-1\""))
        #expect(ETagMatch.matches("W/\"a-1\", \"b\"", etag: "\"a-1\""))
        #expect(ETagMatch.matches("*", etag: "\"a-1\""))
        #expect(!ETagMatch.matches("\"b\"", etag: "\"a-1\""))
    }

    @Test func httpDate() {
        #expect(HTTPDate.format(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
