"""`wproxy reverse` end to end: the real binary, Python origins and raw-socket / curl clients."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import connect, free_port, run_wproxy, wait_until
from origin import Origin, ws_frame


@pytest.fixture
def origins():
    made = []

    def make(name="origin", port=0):
        origin = Origin(name, port)
        made.append(origin)
        return origin

    yield make
    for origin in made:
        try:
            origin.close()
        except OSError:
            pass


def reverse(wproxy, *upstreams, extra=()):
    args = ["reverse", "--listen", "127.0.0.1:0"]
    for upstream in upstreams:
        args += ["--upstream", upstream]
    return wproxy(*args, *extra)


def read_response(sock, timeout=10):
    """Reads one HTTP/1.1 response (Content-Length, chunked or until close) from a raw socket.
    Returns (status, headers dict lower-case, body bytes, leftover bytes)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers.setdefault(name.strip().lower(), value.strip())
    if status in (100, 101):
        return status, headers, b"", rest
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, headers, rest[:length], rest[length:]
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += sock.recv(65536)
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += sock.recv(65536)
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, headers, body, rest
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return status, headers, rest, b""
        rest += chunk


def request(port, path="/", method="GET", headers=None, body=b"", version="HTTP/1.1"):
    with connect(port) as sock:
        lines = [f"{method} {path} {version}", "Host: example.test"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body and not any(k.lower() in ("content-length", "transfer-encoding") for k in (headers or {})):
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: close")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return read_response(sock)


def curl(*args, timeout=30):
    result = subprocess.run(["curl", "-s", "--max-time", str(timeout), *args], capture_output=True, timeout=timeout + 5)
    return result.stdout


# ---------- basics, headers, keep-alive ----------

def test_get_is_proxied_with_forwarding_headers(wproxy, origins):
    origin = origins("a")
    proxy = reverse(wproxy, origin.url)
    status, headers, body, _ = request(proxy.port, "/echo?x=1", headers={
        "X-Forwarded-For": "203.0.113.9", "Connection": "close, X-Secret", "X-Secret": "drop me",
        "Keep-Alive": "timeout=5", "TE": "trailers", "Proxy-Authorization": "Basic eA==", "X-Kept": "yes"})
    assert status == 200
    seen = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert seen["host"] == "example.test"
    assert seen["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == "example.test"
    assert seen["x-kept"] == "yes"
    for hop in ("x-secret", "keep-alive", "te", "proxy-authorization"):
        assert hop not in seen
    assert json.loads(body)["path"] == "/echo?x=1"


def test_upstream_host_option_sends_the_upstreams_host(wproxy, origins):
    origin = origins("a")
    proxy = reverse(wproxy, origin.url, extra=["--upstream-host"])
    _, _, body, _ = request(proxy.port, "/echo")
    seen = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert seen["host"] == f"127.0.0.1:{origin.port}"
    assert seen["x-forwarded-host"] == "example.test"


def test_http10_client_and_head_and_chunked(wproxy, origins):
    origin = origins("a")
    proxy = reverse(wproxy, origin.url)
    status, headers, body, _ = request(proxy.port, "/chunked?n=3", version="HTTP/1.0")
    assert status == 200 and body == b"chunk0;chunk1;chunk2;"
    assert "transfer-encoding" not in headers  # HTTP/1.0 clients read to the close
    status, headers, body, _ = request(proxy.port, "/chunked?n=2")
    assert status == 200 and headers["transfer-encoding"] == "chunked" and body == b"chunk0;chunk1;"
    with connect(proxy.port) as sock:
        sock.sendall(b"HEAD /name HTTP/1.1\r\nHost: x\r\n\r\nGET /name HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body, rest = read_response_head_only(sock)
        assert status == 200 and headers["content-length"] == "1" and body == b""
        sock.settimeout(5)
        while b"\r\n\r\n" not in rest:
            rest += sock.recv(65536)
        assert rest.startswith(b"HTTP/1.1 200")


def read_response_head_only(sock):
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    return int(lines[0].split()[1]), headers, b"", rest


def test_pipelined_requests_are_answered_in_order(wproxy, origins):
    origin = origins("a")
    proxy = reverse(wproxy, origin.url)
    with connect(proxy.port) as sock:
        sock.sendall(b"".join(f"GET /echo?n={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(5)))
        rest = b""
        for i in range(5):
            sock_data = FakeSock(sock, rest)
            status, _, body, rest = read_response(sock_data)
            assert status == 200 and json.loads(body)["path"] == f"/echo?n={i}"


class FakeSock:
    """A socket whose first reads return bytes already received."""

    def __init__(self, sock, pending):
        self.sock = sock
        self.pending = pending

    def settimeout(self, t):
        self.sock.settimeout(t)

    def recv(self, n):
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        return self.sock.recv(n)


def test_keep_alive_reuses_upstream_connections(wproxy, origins):
    origin = origins("a")
    proxy = reverse(wproxy, origin.url, extra=["--workers", "1"])
    for _ in range(3):
        with connect(proxy.port) as sock:
            rest = b""
            for _ in range(10):
                sock.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\n")
                status, _, body, rest = read_response(FakeSock(sock, rest))
                assert status == 200 and body == b"a"
    assert origin.accepted == 1  # 30 requests over 3 client connections, one upstream socket


# ---------- load balancing ----------

def names(port, count, path="/name", headers=None):
    return [request(port, path, headers=headers)[2].decode() for _ in range(count)]


def test_round_robin_and_weights(wproxy, origins):
    a, b = origins("a"), origins("b")
    proxy = reverse(wproxy, a.url, b.url)
    seen = names(proxy.port, 10)
    assert seen.count("a") == 5 and seen.count("b") == 5
    weighted = reverse(wproxy, a.url + ",weight=3", b.url)
    seen = names(weighted.port, 8)
    assert seen.count("a") == 6 and seen.count("b") == 2


@pytest.mark.parametrize("policy", ["random", "p2c", "ip-hash"])
def test_other_policies_answer(wproxy, origins, policy):
    a, b = origins("a"), origins("b")
    proxy = reverse(wproxy, a.url, b.url, extra=["--lb", policy])
    seen = names(proxy.port, 12)
    assert set(seen) <= {"a", "b"} and len(seen) == 12
    if policy == "ip-hash":
        assert len(set(seen)) == 1  # one client address, one upstream


def test_least_conn_avoids_the_busy_upstream(wproxy, origins):
    a, b = origins("a"), origins("b")
    proxy = reverse(wproxy, a.url, b.url, extra=["--lb", "least-conn"])
    slow = {}
    thread = threading.Thread(target=lambda: slow.update(name=request(proxy.port, "/sleep?ms=1500")[2].decode()))
    thread.start()
    assert wait_until(lambda: any(r[1].startswith("/sleep") for o in (a, b) for r in o.requests), timeout=5)
    busy = "a" if any(r[1].startswith("/sleep") for r in a.requests) else "b"
    quick = names(proxy.port, 6)
    assert all(name != busy for name in quick)
    thread.join()
    assert slow["name"] == busy


def test_hash_by_header_is_sticky(wproxy, origins):
    a, b, c = origins("a"), origins("b"), origins("c")
    proxy = reverse(wproxy, a.url, b.url, c.url, extra=["--lb", "hash", "--hash-key", "header:X-User"])
    owners = {}
    for user in range(30):
        seen = set(names(proxy.port, 3, headers={"X-User": f"user{user}"}))
        assert len(seen) == 1
        owners[user] = seen.pop()
    assert len(set(owners.values())) == 3


@pytest.mark.parametrize("key,make", [
    ("cookie:sid", lambda v: ("/name", {"Cookie": f"theme=dark; sid={v}"})),
    ("query:u", lambda v: (f"/name?u={v}&z=1", None)),
    ("path", lambda v: (f"/name/{v}", None)),
])
def test_hash_by_cookie_query_path_is_sticky(wproxy, origins, key, make):
    a, b = origins("a"), origins("b")
    proxy = reverse(wproxy, a.url, b.url, extra=["--lb", "hash", "--hash-key", key])
    owners = set()
    for value in range(12):
        path, headers = make(f"v{value}")
        seen = set(names(proxy.port, 3, path=path, headers=headers))
        assert len(seen) == 1
        owners |= seen
    assert owners == {"a", "b"}


def test_backup_only_when_primaries_are_down(wproxy, origins):
    primary, backup = origins("primary"), origins("backup")
    proxy = reverse(wproxy, primary.url, backup.url + ",backup")
    assert names(proxy.port, 3) == ["primary"] * 3
    primary.close()
    assert names(proxy.port, 3) == ["backup"] * 3


# ---------- health, retries, errors ----------

def test_health_check_removes_and_restores_within_three_intervals(wproxy, origins):
    a, b = origins("a"), origins("b")
    interval = 0.5
    proxy = reverse(wproxy, a.url, b.url, extra=["--health-check", "/health", "--health-interval", "500ms", "--retries", "0"])
    a.health_status = 500
    started = time.monotonic()
    proxy.wait_for_output(lambda l: "out of rotation" in l and a.url in l, stream="stderr", timeout=10)
    assert time.monotonic() - started <= 3 * interval + 0.5
    assert names(proxy.port, 6) == ["b"] * 6
    a.health_status = 200
    started = time.monotonic()
    proxy.wait_for_output(lambda l: "healthy again" in l and a.url in l, stream="stderr", timeout=10)
    assert time.monotonic() - started <= 3 * interval + 0.5
    assert set(names(proxy.port, 6)) == {"a", "b"}


def test_retry_skips_a_dead_upstream(wproxy, origins):
    live = origins("live")
    dead = f"http://127.0.0.1:{free_port()}"
    proxy = reverse(wproxy, dead, live.url, extra=["--retries", "1"])
    assert names(proxy.port, 6) == ["live"] * 6


def test_all_down_gives_502_then_503(wproxy):
    proxy = reverse(wproxy, f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}", extra=["--retries", "1"])
    first = request(proxy.port, "/")
    assert first[0] == 502 and b"connection refused" in first[2]
    request(proxy.port, "/")  # second refusal each: both are now out (passive health)
    status, headers, body, _ = request(proxy.port, "/")
    assert status == 503 and b"no healthy upstream" in body
    assert headers["content-type"].startswith("text/plain")


def test_reset_before_response_is_retried_for_get(wproxy, origins):
    broken, good = origins("broken"), origins("good")
    broken.reset_all = True
    proxy = reverse(wproxy, broken.url, good.url, extra=["--retries", "1"])
    assert names(proxy.port, 4) == ["good"] * 4
    assert len(broken.requests) >= 1


def test_post_is_not_retried_after_a_reset(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url, extra=["--retries", "3"])
    before = len(a.requests)
    status, _, body, _ = request(proxy.port, "/reset", method="POST", body=b"x" * 10)
    assert status == 502
    assert len(a.requests) - before == 1


def test_upstream_timeout_gives_504(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url, extra=["--upstream-timeout", "300ms"])
    started = time.monotonic()
    status, _, body, _ = request(proxy.port, "/sleep?ms=2000")
    assert status == 504 and b"did not respond in time" in body
    assert time.monotonic() - started < 1.5


def test_bad_upstream_framing_gives_502(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    status, _, body, _ = request(proxy.port, "/bad-framing")
    assert status == 502


def raw_status(port, data, timeout=5):
    with connect(port) as sock:
        sock.sendall(data)
        sock.settimeout(timeout)
        got = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return int(got.split(b" ", 2)[1]) if got else None, got


def test_limits_431_414_413(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url, extra=["--max-body", "1k"])
    assert raw_status(proxy.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")[0] == 431
    assert raw_status(proxy.port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 414
    assert raw_status(proxy.port, b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 414
    assert raw_status(proxy.port, b"POST /u-cl HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000)[0] == 413
    chunked = b"POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + b"400\r\n" + b"x" * 1024 + b"\r\n" + b"400\r\n" + b"x" * 1024 + b"\r\n0\r\n\r\n"
    status, body = raw_status(proxy.port, chunked)
    assert status == 413 and b"too large" in body
    # A declared length is refused before any upstream is involved; a chunked body is refused
    # when it crosses the limit (its head may already have been passed on: that upstream
    # connection is then discarded).
    assert all(r[1] != "/u-cl" for r in a.requests)


SMUGGLING = [
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 5\r\n\r\nabcde",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x4\r\n\r\nabcd",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabcd",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\x0b\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n Transfer-Encoding: chunked\r\n\r\n",
    b"GARBAGE\r\n\r\n",
]


@pytest.mark.parametrize("data", SMUGGLING, ids=range(len(SMUGGLING)))
def test_smuggling_shapes_get_400_and_a_close(wproxy, origins, data):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    status, body = raw_status(proxy.port, data)
    assert status == 400, body
    assert b"connection: close" in body.lower()
    assert a.requests == []


# ---------- streaming ----------

def test_websocket_echo_keeps_bytes_sent_with_the_handshake(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    with connect(proxy.port) as sock:
        handshake = (b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        sock.sendall(handshake + ws_frame(b"early bird"))
        status, headers, _, rest = read_response(sock)
        assert status == 101 and headers["upgrade"].lower() == "websocket"
        assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        got = rest
        for message in (b"hello", b"x" * 70000):
            sock.sendall(ws_frame(message))
        want = ws_frame(b"early bird", masked=False) + ws_frame(b"hello", masked=False) + ws_frame(b"x" * 70000, masked=False)
        sock.settimeout(10)
        while len(got) < len(want):
            chunk = sock.recv(65536)
            assert chunk
            got += chunk
        assert got == want


def test_sse_events_arrive_as_they_are_sent(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    with connect(proxy.port) as sock:
        sock.sendall(b"GET /sse?n=4&gap=400 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        sock.settimeout(10)
        started = time.monotonic()
        arrivals = []
        data = b""
        while data.count(b"data: ") < 4:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            arrivals.append((time.monotonic() - started, data.count(b"data: ")))
        first = next(t for t, n in arrivals if n >= 1)
        last = next(t for t, n in arrivals if n >= 4)
        assert first < 0.5 and last > 1.0, arrivals


def test_100_mb_upload_streams_with_bounded_memory(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    base = proxy.rss_kb()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], proxy.rss_kb())
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    chunk = os.urandom(1 << 20)
    digest = hashlib.sha256()
    with connect(proxy.port, timeout=60) as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (100 << 20))
        for _ in range(100):
            sock.sendall(chunk)
            digest.update(chunk)
        status, _, body, _ = read_response(sock, timeout=60)
    done.set()
    assert status == 200
    result = json.loads(body)
    assert result["length"] == 100 << 20 and result["sha256"] == digest.hexdigest()
    print(f"proxy RSS {base} KB -> peak {peak[0]} KB during the 100 MB upload")
    assert peak[0] - base < 30 * 1024, f"RSS grew from {base} KB to {peak[0]} KB"


def test_chunked_upload_and_expect_continue(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    payload = os.urandom(3 << 20)
    with open("/tmp/wproxy-upload.bin", "wb") as f:
        f.write(payload)
    out = curl("-H", "Expect: 100-continue", "--data-binary", "@/tmp/wproxy-upload.bin", f"http://127.0.0.1:{proxy.port}/upload")
    assert json.loads(out)["sha256"] == hashlib.sha256(payload).hexdigest()
    out = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@/tmp/wproxy-upload.bin", f"http://127.0.0.1:{proxy.port}/upload")
    assert json.loads(out)["length"] == len(payload)
    with connect(proxy.port) as sock:
        sock.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        status, _, _, rest = read_response(sock)
        assert status == 100
        sock.sendall(b"hello")
        status, _, body, _ = read_response(FakeSock(sock, rest))
        assert status == 200 and json.loads(body)["length"] == 5


# ---------- static files ----------

@pytest.fixture
def site(tmp_path):
    root = tmp_path / "public"
    (root / "docs").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "docs" / "index.html").write_text("docs home")
    (root / "app.js").write_text("console.log(1)")
    (root / "data.bin").write_bytes(bytes(range(256)) * 1024)
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    return root


def test_static_files_range_etag_and_types(wproxy, site):
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--static", str(site))
    status, headers, body, _ = request(proxy.port, "/")
    assert status == 200 and body == b"<h1>home</h1>" and headers["content-type"].startswith("text/html")
    assert request(proxy.port, "/docs/")[2] == b"docs home"
    status, headers, body, _ = request(proxy.port, "/app.js")
    assert headers["content-type"].startswith("text/javascript")
    etag = headers["etag"]
    assert request(proxy.port, "/app.js", headers={"If-None-Match": etag})[0] == 304
    status, headers, body, _ = request(proxy.port, "/data.bin", headers={"Range": "bytes=10-19"})
    assert status == 206 and body == bytes(range(10, 20)) and headers["content-range"] == "bytes 10-19/262144"
    status, _, body, _ = request(proxy.port, "/data.bin", headers={"Range": "bytes=-4"})
    assert status == 206 and body == bytes([252, 253, 254, 255])
    assert request(proxy.port, "/data.bin", headers={"Range": "bytes=999999-"})[0] == 416
    status, _, body, _ = request(proxy.port, "/data.bin")
    assert status == 200 and body == bytes(range(256)) * 1024
    assert request(proxy.port, "/missing.txt")[0] == 404


def test_static_conditionals_and_directory_redirect(wproxy, site):
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--static", str(site))
    status, headers, _, _ = request(proxy.port, "/app.js")
    modified, etag = headers["last-modified"], headers["etag"]
    # If-Modified-Since: 304 when the file is not newer, 200 when it is.
    assert request(proxy.port, "/app.js", headers={"If-Modified-Since": modified})[0] == 304
    assert request(proxy.port, "/app.js", headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:01 GMT"})[0] == 200
    assert request(proxy.port, "/app.js", headers={"If-Modified-Since": "garbage"})[0] == 200
    # If-None-Match takes precedence over If-Modified-Since.
    assert request(proxy.port, "/app.js", headers={"If-None-Match": '"nope"', "If-Modified-Since": modified})[0] == 200
    # If-Range: the range only while the validator still matches, else the whole file.
    status, headers, _, _ = request(proxy.port, "/data.bin")
    bin_etag, bin_modified = headers["etag"], headers["last-modified"]
    status, _, body, _ = request(proxy.port, "/data.bin", headers={"Range": "bytes=0-3", "If-Range": bin_etag})
    assert status == 206 and body == bytes([0, 1, 2, 3])
    status, _, body, _ = request(proxy.port, "/data.bin", headers={"Range": "bytes=0-3", "If-Range": bin_modified})
    assert status == 206 and body == bytes([0, 1, 2, 3])
    status, _, body, _ = request(proxy.port, "/data.bin", headers={"Range": "bytes=0-3", "If-Range": '"stale"'})
    assert status == 200 and len(body) == 262144
    # A directory without its slash is redirected (query kept); with it, its index is served.
    status, headers, _, _ = request(proxy.port, "/docs?x=1")
    assert status == 301 and headers["location"] == "/docs/?x=1"
    assert request(proxy.port, "/docs/")[2] == b"docs home"
    # curl's -z sends If-Modified-Since from a date.
    assert curl("-o", "/dev/null", "-w", "%{http_code}", "-z", modified, f"http://127.0.0.1:{proxy.port}/app.js") == b"304"


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/docs/../../secret.txt", "/%2e%2e/secret.txt", "/docs/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt", "/docs%2f..%2f..%2fsecret.txt", "/leak.txt", "/..\\secret.txt", "/%5c..%5csecret.txt",
])
def test_static_never_escapes_the_root(wproxy, site, path):
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--static", str(site))
    status, _, body, _ = request(proxy.port, path)
    assert status in (400, 404) and b"secret" not in body


def test_static_in_front_of_upstreams(wproxy, origins, site):
    a = origins("a")
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--static", str(site), "--upstream", a.url)
    assert request(proxy.port, "/app.js")[2] == b"console.log(1)"
    assert request(proxy.port, "/api/thing")[2] == b"a"
    assert request(proxy.port, "/app.js", method="POST", body=b"x")[0] == 200  # not GET: proxied
    assert [r[1] for r in a.requests] == ["/api/thing", "/app.js"]


# ---------- timeouts, shutdown, log ----------

def test_header_timeout_closes_a_slow_client(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url, extra=["--header-timeout", "500ms"])
    with connect(proxy.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        sock.settimeout(5)
        assert sock.recv(100) == b""
        assert 0.3 < time.monotonic() - started < 2.0


def test_idle_keep_alive_connection_is_closed(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url, extra=["--idle-timeout", "500ms"])
    with connect(proxy.port) as sock:
        sock.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[0] == 200
        started = time.monotonic()
        sock.settimeout(5)
        assert sock.recv(100) == b""
        assert time.monotonic() - started < 2.0


def test_sigterm_closes_idle_connections_and_finishes_in_flight(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    idle = connect(proxy.port)
    idle.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(idle)[0] == 200
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=request(proxy.port, "/sleep?ms=800")))
    thread.start()
    assert wait_until(lambda: any(r[1].startswith("/sleep") for r in a.requests), timeout=5)
    proxy.proc.send_signal(signal.SIGTERM)
    idle.settimeout(3)
    assert idle.recv(100) == b""  # closed at once, not after the drain
    thread.join(10)
    assert result["r"][0] == 200 and result["r"][2] == b"a"
    assert proxy.proc.wait(10) == 0
    idle.close()


def test_access_log_has_every_field(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url, extra=["--log-format", "json"])
    request(proxy.port, "/name?q=1", method="GET")
    line = json.loads(proxy.wait_for_output(lambda l: "/name" in l))
    for key in ("time", "mode", "client", "method", "host", "path", "status", "upstream", "bytes_in", "bytes_out",
                "duration", "upstream_duration"):
        assert key in line
    assert line["mode"] == "reverse" and line["status"] == "200" and line["path"] == "/name?q=1"
    assert line["upstream"] == a.url and line["host"] == "example.test" and line["bytes_out"] == "1"


@pytest.mark.parametrize("args,message", [
    (["--lb", "hash"], "--hash-key"),
    (["--upstream", "ftp://x:1"], "--upstream"),
    (["--upstream", "http://127.0.0.1:1/path"], "no path"),
    (["--upstream", "http://127.0.0.1:1", "--hash-key", "bogus"], "--hash-key"),
    (["--upstream", "http://127.0.0.1:1", "--max-body", "lots"], "--max-body"),
    (["--upstream", "http://127.0.0.1:1", "--health-check", "health"], "--health-check"),
    ([], "--upstream"),
])
def test_bad_flags_exit_64(args, message):
    args = list(args)
    if args[:2] == ["--lb", "hash"]:
        args += ["--upstream", "http://127.0.0.1:1"]
    result = run_wproxy("reverse", "--listen", "127.0.0.1:0", *args)
    assert result.returncode == 64, result.stderr
    assert message in result.stderr


def test_default_listen_address_is_8080():
    result = run_wproxy("reverse", "--help")
    assert "127.0.0.1:8080" in result.stdout or result.returncode == 0


def test_upstreams_are_dialed_through_upstream_proxy_hops(wproxy, origins):
    a = origins("a")
    hop = wproxy("socks", "--listen", "127.0.0.1:0")
    proxy = reverse(wproxy, a.url, extra=["--upstream-proxy", f"socks5://127.0.0.1:{hop.port}"])
    assert names(proxy.port, 3) == ["a"] * 3
    proxy.stop()  # the pooled upstream connection closes: the SOCKS hop logs its tunnel
    hop.wait_for_output(lambda l: "mode=socks" in l and str(a.port) in l)


# ---------- direct writes (a reused connection's writes bypass NIO's write path) ----------

def big_body(size):
    pattern = bytes(range(256)) * 256
    return (pattern * (size // len(pattern) + 1))[:size]


def test_large_response_to_a_slow_client_on_a_reused_connection(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    size = 24 << 20
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[2] == b"a"
        # The second response is written directly; the client does not read for a while, so the
        # socket fills and the rest must go through NIO without losing or reordering a byte.
        sock.sendall(f"GET /big?n={size} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(1)
        status, _, body, leftover = read_response(sock, timeout=30)
        assert status == 200 and len(body) == size and leftover == b""
        assert hashlib.sha256(body).digest() == hashlib.sha256(big_body(size)).digest()
        sock.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[2] == b"a"


def test_large_upload_on_a_reused_upstream_connection(wproxy, origins):
    a = origins("a")
    proxy = reverse(wproxy, a.url)
    size = 32 << 20
    body = os.urandom(size)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[2] == b"a"
        sock.sendall(f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode() + body)
        status, _, answer, _ = read_response(sock, timeout=60)
        assert status == 200
        assert json.loads(answer) == {"length": size, "sha256": hashlib.sha256(body).hexdigest(), "method": "POST"}
        sock.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[2] == b"a"
    assert a.accepted == 1, "one upstream connection served all three"


def test_static_file_between_proxied_responses_on_one_connection(wproxy, origins, site):
    a = origins("a")
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--static", str(site), "--upstream", a.url)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        for path, expected in [("/api/1", b"a"), ("/api/2", b"a"), ("/data.bin", bytes(range(256)) * 1024),
                               ("/api/3", b"a"), ("/app.js", b"console.log(1)"), ("/api/4", b"a")]:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, _, body, leftover = read_response(sock)
            assert (status, body, leftover) == (200, expected, b""), path
