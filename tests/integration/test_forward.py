"""`wproxy forward` end to end: the real binary, real clients (curl, raw sockets), loopback origins."""
import base64
import hashlib
import os
import socket
import subprocess
import threading
import time

import pytest

from conftest import free_port, recording_server, recv_all, run_wproxy, wait_until
from forward_support import (OriginHandler, TLSOrigin, curl, origin, proxy_request,  # noqa: F401 (fixture)
                             status_of)


def start_forward(wproxy, *args):
    return wproxy("forward", "--listen", "127.0.0.1:0", *args)


def test_curl_get_and_post_through_the_proxy(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy)
    result = curl("-x", f"http://127.0.0.1:{proxy.port}", f"http://127.0.0.1:{server.port}/hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"hello from origin /hello"

    body = os.urandom(300_000)
    result = subprocess.run(
        ["curl", "-sS", "-x", f"http://127.0.0.1:{proxy.port}", "--data-binary", "@-",
         f"http://127.0.0.1:{server.port}/echo"], input=body, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"received 300000"


def test_origin_gets_origin_form_host_and_via_without_hop_by_hop(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy)
    raw = (f"GET http://127.0.0.1:{server.port}/echo-headers HTTP/1.1\r\nHost: wrong.example\r\n"
           "Proxy-Connection: keep-alive\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\n"
           "TE: trailers\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nX-Kept: yes\r\n\r\n").encode()
    response = proxy_request(proxy.port, raw)
    assert status_of(response) == 200
    head, _, body = response.partition(b"\r\n\r\n")
    text = body.decode().lower()
    assert "request-line: get /echo-headers http/1.1" in text
    assert f"host: 127.0.0.1:{server.port}" in text
    assert "via: 1.1 wproxy" in text
    assert "x-kept: yes" in text
    for gone in ("proxy-connection", "x-secret", "keep-alive", "te:", "proxy-authorization"):
        assert gone not in text, gone
    assert b"Via: 1.1 wproxy" in head


def test_connect_tunnel_to_a_tls_origin_with_curl_p(wproxy):
    tls = TLSOrigin()
    try:
        proxy = start_forward(wproxy)
        result = curl("-p", "-x", f"http://127.0.0.1:{proxy.port}", "--cacert", tls.cert,
                      f"https://localhost:{tls.port}/secure")
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"hello from origin /secure"
        line = proxy.wait_for_output(lambda l: "method=CONNECT" in l)
        assert f"target=localhost:{tls.port}" in line and "status=200" in line and "end=" in line
        # https:// URLs are tunnelled by curl even without -p
        result = curl("-x", f"http://127.0.0.1:{proxy.port}", "--cacert", tls.cert, f"https://localhost:{tls.port}/x")
        assert result.stdout == b"hello from origin /x"
    finally:
        tls.close()


def test_bytes_sent_right_after_the_connect_head_are_not_lost(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy)
    raw = (f"CONNECT 127.0.0.1:{server.port} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
           f"GET /early HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").encode()
    response = proxy_request(proxy.port, raw)
    assert response.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\n")
    assert response.endswith(b"hello from origin /early")


def test_keep_alive_to_clients_and_origin_connections_reused_across_clients(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy, "--workers", "1")
    url = f"http://127.0.0.1:{server.port}/k"
    # One curl, three requests on one client connection.
    result = curl("-v", "-x", f"http://127.0.0.1:{proxy.port}", url, url, url)
    assert result.stdout == b"hello from origin /k" * 3
    assert result.stderr.count(b"Re-using existing connection") == 2
    # Five more clients, one after the other: the pooled origin connection serves them all.
    for _ in range(5):
        assert curl("-x", f"http://127.0.0.1:{proxy.port}", url).stdout == b"hello from origin /k"
    assert server.accepted == 1


def test_streamed_chunked_response_arrives_before_the_origin_finishes(wproxy, origin):
    class Held(OriginHandler):
        release = threading.Event()

    server = origin(Held)
    proxy = start_forward(wproxy)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(f"GET http://127.0.0.1:{server.port}/hold HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        deadline = time.monotonic() + 5
        while b"data: one" not in received and time.monotonic() < deadline:
            received += sock.recv(65536)
        assert b"data: one" in received, received
        assert b"data: two" not in received
        assert b"Transfer-Encoding: chunked" in received
        Held.release.set()
        while not received.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            assert chunk
            received += chunk
        assert b"data: two" in received


def test_chunked_request_body_and_chunked_response(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy)
    raw = (f"POST http://127.0.0.1:{server.port}/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
           "Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").encode()
    response = proxy_request(proxy.port, raw)
    assert response.endswith(b"received 11")
    result = curl("-x", f"http://127.0.0.1:{proxy.port}", f"http://127.0.0.1:{server.port}/chunked")
    assert result.stdout == b"first;second;third"


def test_head_204_and_close_delimited_responses(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy)
    url = f"http://127.0.0.1:{server.port}"
    result = curl("-I", "-x", f"http://127.0.0.1:{proxy.port}", url + "/")
    assert b"200" in result.stdout.split(b"\r\n")[0] and b"Content-Length: 10" in result.stdout
    result = curl("-w", "%{http_code}", "-x", f"http://127.0.0.1:{proxy.port}", url + "/nocontent", url + "/after")
    assert result.stdout == b"204hello from origin /after200"
    result = curl("-x", f"http://127.0.0.1:{proxy.port}", url + "/close-delimited", url + "/after")
    assert result.stdout == b"until-closehello from origin /after"


def test_100_megabyte_upload_streams_with_bounded_memory(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy)
    baseline = proxy.rss_kb()
    size = 100 << 20
    peak = [baseline]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], proxy.rss_kb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=60) as sock:
            sock.sendall(f"POST http://127.0.0.1:{server.port}/upload HTTP/1.1\r\nHost: x\r\n"
                         f"Content-Length: {size}\r\nConnection: close\r\n\r\n".encode())
            block = b"\xab" * (1 << 20)
            for _ in range(100):
                sock.sendall(block)
            sock.settimeout(60)
            response = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                response += chunk
    finally:
        done.set()
        sampler.join()
    assert response.endswith(f"received {size}".encode()), response[-200:]
    grown_mb = (peak[0] - baseline) / 1024
    assert grown_mb < 40, f"RSS grew by {grown_mb:.1f} MB while relaying 100 MB"


def test_websocket_upgrade_through_absolute_form(wproxy, servers):
    def websocket_origin(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        head, _, rest = data.partition(b"\r\n\r\n")
        assert b"upgrade: websocket" in head.lower()
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: x\r\n\r\nserver-first")
        while True:
            chunk = rest or conn.recv(4096)
            rest = b""
            if not chunk:
                return
            conn.sendall(chunk.upper())

    server = servers(websocket_origin)
    proxy = start_forward(wproxy)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(f"GET http://127.0.0.1:{server.port}/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\nearly".encode())
        received = b""
        while b"server-firstEARLY" not in received:
            chunk = sock.recv(4096)
            assert chunk, received
            received += chunk
        assert received.startswith(b"HTTP/1.1 101")
        sock.sendall(b"ping")
        got = b""
        while got != b"PING":
            got += sock.recv(4096)


def test_proxy_auth_407_then_success(wproxy, origin, tmp_path):
    server = origin()
    auth_file = tmp_path / "users"
    auth_file.write_text("# users\nbob:b0b\n\n")
    proxy = start_forward(wproxy, "--auth", "alice:s3cret", "--auth-file", str(auth_file))
    url = f"http://127.0.0.1:{server.port}/private"
    raw = f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    response = proxy_request(proxy.port, raw)
    assert status_of(response) == 407
    assert b'Proxy-Authenticate: Basic realm="wproxy"' in response
    bad = base64.b64encode(b"alice:wrong").decode()
    response = proxy_request(proxy.port, f"GET {url} HTTP/1.1\r\nProxy-Authorization: Basic {bad}\r\n\r\n".encode())
    assert status_of(response) == 407
    response = proxy_request(proxy.port, f"GET {url} HTTP/1.1\r\nProxy-Authorization: Basic !!!\r\n\r\n".encode())
    assert status_of(response) == 407
    assert curl("-x", f"http://alice:s3cret@127.0.0.1:{proxy.port}", url).stdout == b"hello from origin /private"
    assert curl("-x", f"http://bob:b0b@127.0.0.1:{proxy.port}", url).stdout == b"hello from origin /private"
    line = proxy.wait_for_output(lambda l: "user=bob" in l)
    for key in ("time=", "mode=forward", "client=127.0.0.1:", "method=GET", f"target={url}", "status=200",
                "bytes_up=0", "bytes_down=", "duration="):
        assert key in line, (key, line)
    # CONNECT needs the credentials too
    response = proxy_request(proxy.port, f"CONNECT 127.0.0.1:{server.port} HTTP/1.1\r\n\r\n".encode())
    assert status_of(response) == 407


def test_allow_and_deny_dest_give_403(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy, "--allow", "10.0.0.0/8")
    response = proxy_request(proxy.port, f"GET http://127.0.0.1:{server.port}/ HTTP/1.1\r\n\r\n".encode())
    assert status_of(response) == 403 and b"--allow" in response

    proxy = start_forward(wproxy, "--deny-dest", "127.0.0.0/8", "--deny-dest", "*.blocked.test")
    for target in (f"http://127.0.0.1:{server.port}/", f"http://localhost:{server.port}/", "http://a.blocked.test/"):
        response = proxy_request(proxy.port, f"GET {target} HTTP/1.1\r\n\r\n".encode())
        assert status_of(response) == 403, (target, response)
    response = proxy_request(proxy.port, f"CONNECT 127.0.0.1:{server.port} HTTP/1.1\r\n\r\n".encode())
    assert status_of(response) == 403
    # Only "localhost" reached the origin's socket: a name is checked against CIDR rules by the address it
    # connected to, and that connection is closed before any byte is sent.
    assert server.accepted <= 1


def test_unreachable_destinations_get_502_and_504(wproxy):
    proxy = start_forward(wproxy, "--connect-timeout", "1s")
    refused = free_port()
    response = proxy_request(proxy.port, f"GET http://127.0.0.1:{refused}/ HTTP/1.1\r\n\r\n".encode())
    assert status_of(response) == 502 and b"refused" in response
    response = proxy_request(proxy.port, b"GET http://no-such-host.invalid/ HTTP/1.1\r\n\r\n")
    assert status_of(response) == 502 and b"not resolved" in response
    response = proxy_request(proxy.port, f"CONNECT 127.0.0.1:{refused} HTTP/1.1\r\n\r\n".encode())
    assert status_of(response) == 502

    # A listener whose accept queue is full drops SYNs: the connect times out.
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(full.getsockname())
            fillers.append(s)
        time.sleep(0.2)
        started = time.monotonic()
        response = proxy_request(proxy.port, f"GET http://127.0.0.1:{full.getsockname()[1]}/ HTTP/1.1\r\n\r\n".encode())
        assert status_of(response) == 504, response
        assert time.monotonic() - started < 5
    finally:
        for s in fillers:
            s.close()
        full.close()


def test_origin_that_never_answers_gets_504(wproxy, servers):
    silent = servers(lambda conn: time.sleep(8))
    proxy = start_forward(wproxy, "--idle-timeout", "1s")
    response = proxy_request(proxy.port, f"GET http://127.0.0.1:{silent.port}/ HTTP/1.1\r\n\r\n".encode())
    assert status_of(response) == 504


@pytest.mark.parametrize("raw,needle", [
    (b"GARBAGE\r\n\r\n", b"malformed"),
    (b"GET /relative HTTP/1.1\r\nHost: x\r\n\r\n", b"absolute-form"),
    (b"GET https://127.0.0.1/ HTTP/1.1\r\n\r\n", b"CONNECT"),
    (b"GET http://h/#frag HTTP/1.1\r\n\r\n", b"fragment"),
    (b"GET http://user@h/ HTTP/1.1\r\n\r\n", b"userinfo"),
    (b"CONNECT hostonly HTTP/1.1\r\n\r\n", b"host:port"),
    (b"POST http://h/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", b""),
    (b"GET http://h/ HTTP/1.1\r\nBad Header\r\n\r\n", b"malformed"),
])
def test_malformed_requests_get_400_and_the_proxy_carries_on(wproxy, origin, raw, needle):
    server = origin()
    proxy = start_forward(wproxy)
    response = proxy_request(proxy.port, raw)
    assert status_of(response) == 400, response
    assert needle in response
    assert b"Content-Type: text/plain" in response
    assert curl("-x", f"http://127.0.0.1:{proxy.port}", f"http://127.0.0.1:{server.port}/ok").stdout == b"hello from origin /ok"


def test_pipelined_requests_are_answered_in_order(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy)
    url = f"http://127.0.0.1:{server.port}"
    raw = (f"GET {url}/a HTTP/1.1\r\nHost: x\r\n\r\nGET {url}/b HTTP/1.1\r\nHost: x\r\n\r\n"
           f"GET {url}/c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").encode()
    response = proxy_request(proxy.port, raw)
    assert response.count(b"HTTP/1.1 200") == 3
    assert response.index(b"origin /a") < response.index(b"origin /b") < response.index(b"origin /c")


@pytest.mark.parametrize("listen,shown", [("0.0.0.0:3128", "0.0.0.0:3128"), (":3128", "[::]:3128"), ("3128", "[::]:3128")])
def test_open_proxy_refusal(listen, shown):
    result = run_wproxy("forward", "--listen", listen)
    assert result.returncode == 64
    assert f"refusing to run an open proxy on {shown}: pass --auth USER:PASS or --allow CIDR" in result.stderr


def test_bad_flags_exit_64():
    for args in (["--auth", "nocolon"], ["--allow", "10.0.0.0/99"], ["--deny-dest", "a b"],
                 ["--upstream-proxy", "ftp://h:1"], ["--origin-pool-size", "-1"], ["--auth-file", "/nonexistent"]):
        result = run_wproxy("forward", *args)
        assert result.returncode == 64, (args, result.stderr)
        assert args[0] in result.stderr


def test_default_listen_is_loopback_3128():
    result = run_wproxy("forward", "--help")
    assert result.returncode == 0
    assert "--auth" in result.stdout and "--deny-dest" in result.stdout and "--upstream-proxy" in result.stdout


def test_client_half_close_after_the_request_gets_the_response_and_a_close(wproxy, origin):
    server = origin()
    proxy = start_forward(wproxy)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(f"GET http://127.0.0.1:{server.port}/half HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        sock.shutdown(socket.SHUT_WR)
        started = time.monotonic()
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        assert data.endswith(b"hello from origin /half")
        assert time.monotonic() - started < 5


def test_connect_keeps_bytes_and_eof_sent_while_dialing(wproxy, servers, slow_socks5_hop):
    """NIO reads to the EOF when the client shuts its write side, even while the CONNECT is still
    dialed (here through a SOCKS5 hop that answers after 0.5 s): the bytes after the CONNECT head
    and the EOF must both reach the destination."""
    upstream, got = recording_server(servers)
    proxy = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"socks5://127.0.0.1:{slow_socks5_hop}")
    target = f"127.0.0.1:{upstream.port}"
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as client:
        client.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode() + b"payload")
        client.shutdown(socket.SHUT_WR)
        assert recv_all(client).startswith(b"HTTP/1.1 200")
    assert wait_until(lambda: "data" in got)
    assert got["data"] == b"payload"
