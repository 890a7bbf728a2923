"""The tunnel engine: tunnels older than 200 ms and parked keep-alive connections leave NIO;
plain-HTTP reverse connections live in its HTTP lane from the accept on.

Which sockets the engine holds is read from /proc: its epoll sets are those that also hold a
wake-up eventfd (registered with the data word 0xffffffffffffffff)."""
import hashlib
import json
import os
import signal
import subprocess
import socket
import threading
import time

import pytest

from conftest import connect, echo_handler, recv_all, wait_until
from origin import Origin
from test_reverse import read_response, reverse

WAKE_TOKEN = "ffffffffffffffff"


def engine_sockets(proxy):
    """Number of sockets in the engine's epoll sets, one per relay thread (wake-up eventfds not counted)."""
    pid = proxy.proc.pid
    total = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:[eventpoll]":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                entries = [line for line in info if line.startswith("tfd:")]
        except OSError:
            continue
        if any(line.split("data:")[1].split()[0] == WAKE_TOKEN for line in entries):
            total += len(entries) - 1
    return total


def assert_refused_then_served(proxy, held):
    """A connection over --max-connections is closed unanswered; the held ones are still served."""
    with connect(proxy.port) as extra:
        extra.settimeout(5)
        try:
            assert extra.recv(10) == b""
        except ConnectionResetError:
            pass
    for client in held:
        assert get(client) == (200, b"a")
        client.close()


def get(sock, path="/name"):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: example.test\r\n\r\n".encode())
    status, _, body, _ = read_response(sock)
    return status, body


@pytest.fixture
def origin():
    made = Origin("a", 0)
    yield made
    made.close()


# ---------- tunnels ----------

def test_tcp_tunnel_moves_to_the_engine_and_relays(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    with connect(proxy.port) as client:
        client.sendall(b"hello")
        assert client.recv(10) == b"hello"
        assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=5), "client and upstream sockets in the engine"
        payload = os.urandom(1 << 20)
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        assert recv_all(client) == payload
    assert wait_until(lambda: engine_sockets(proxy) == 0, timeout=5)


def test_busy_tunnel_moves_to_the_engine_mid_transfer_without_losing_bytes(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    sent = hashlib.sha256()
    received = hashlib.sha256()
    seen_in_engine = []
    with connect(proxy.port) as client:
        def reader():
            client.settimeout(15)
            while True:
                chunk = client.recv(65536)
                if not chunk:
                    return
                received.update(chunk)
        thread = threading.Thread(target=reader)
        thread.start()
        deadline = time.monotonic() + 2.5  # spans the move at about 200 ms
        while time.monotonic() < deadline:
            chunk = os.urandom(32 << 10)
            sent.update(chunk)
            client.sendall(chunk)
            seen_in_engine.append(engine_sockets(proxy))
            time.sleep(0.01)
        client.shutdown(socket.SHUT_WR)
        thread.join(20)
    assert received.hexdigest() == sent.hexdigest()
    assert 2 in seen_in_engine, "the tunnel moved while bytes were flowing"


def test_half_closed_tunnel_moves_and_still_gets_the_reply(wproxy, servers):
    def slow_reply(conn):
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        time.sleep(2)  # the tunnel moves to the engine meanwhile, half-closed
        conn.sendall(b"got " + str(len(data)).encode())
        conn.close()

    upstream = servers(slow_reply)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    with connect(proxy.port) as client:
        client.sendall(b"x" * 1000)
        client.shutdown(socket.SHUT_WR)
        assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=5)
        assert recv_all(client) == b"got 1000"


def test_access_log_counts_bytes_from_both_phases(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    with connect(proxy.port) as client:
        client.sendall(b"x" * 100)  # relayed by NIO
        assert client.recv(100) == b"x" * 100
        assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=5)
        payload = os.urandom(1 << 20)  # relayed by the engine
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        assert recv_all(client) == payload
    line = proxy.wait_for_output(lambda l: "mode=tcp" in l)
    total = 100 + len(payload)
    assert f"bytes_up={total}" in line and f"bytes_down={total}" in line and "end=closed" in line, line


def test_nio_relay_is_kept_when_the_engine_is_off(wproxy, servers, monkeypatch):
    monkeypatch.setenv("WPROXY_RELAY", "nio")
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    with connect(proxy.port) as client:
        payload = os.urandom(256 << 10)
        client.sendall(payload)
        client.shutdown(socket.SHUT_WR)
        assert recv_all(client) == payload
        assert engine_sockets(proxy) == 0


def test_drain_timeout_closes_engine_tunnels(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--drain-timeout", "1s")
    client = connect(proxy.port)
    client.sendall(b"x")
    assert client.recv(1) == b"x"
    assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=5)
    started = time.monotonic()
    assert proxy.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 6
    client.settimeout(5)
    assert client.recv(10) == b""
    client.close()


# ---------- parked keep-alive connections (reverse) ----------

def test_idle_keep_alive_connections_are_parked_and_served_again(wproxy, origin, monkeypatch):
    monkeypatch.setenv("WPROXY_HTTP_LANE", "off")  # parking serves connections NIO keeps
    proxy = reverse(wproxy, origin.url)
    clients = [connect(proxy.port) for _ in range(3)]
    for client in clients:
        assert get(client) == (200, b"a")
    assert wait_until(lambda: engine_sockets(proxy) == 3, timeout=6), "idle connections parked after about 1 s"
    for client in clients:
        assert get(client) == (200, b"a")  # the same sockets, back in NIO
    for client in clients:
        client.close()
    assert wait_until(lambda: engine_sockets(proxy) == 0, timeout=6)


def test_parked_connection_sending_a_pipelined_pair_gets_both(wproxy, origin, monkeypatch):
    monkeypatch.setenv("WPROXY_HTTP_LANE", "off")  # parking serves connections NIO keeps
    proxy = reverse(wproxy, origin.url)
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        assert wait_until(lambda: engine_sockets(proxy) == 1, timeout=6)
        client.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\nGET /name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = recv_all(client)
        assert data.count(b"HTTP/1.1 200") == 2


def test_parked_connection_is_closed_at_the_idle_timeout(wproxy, origin, monkeypatch):
    monkeypatch.setenv("WPROXY_HTTP_LANE", "off")  # parking serves connections NIO keeps
    proxy = reverse(wproxy, origin.url, extra=["--idle-timeout", "2500ms"])
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        started = time.monotonic()
        assert wait_until(lambda: engine_sockets(proxy) == 1, timeout=6)
        client.settimeout(8)
        assert client.recv(10) == b""
        assert 2.0 < time.monotonic() - started < 6
    assert engine_sockets(proxy) == 0


def test_client_hanging_up_while_parked_is_forgotten(wproxy, origin, monkeypatch):
    monkeypatch.setenv("WPROXY_HTTP_LANE", "off")  # parking serves connections NIO keeps
    proxy = reverse(wproxy, origin.url)
    client = connect(proxy.port)
    assert get(client) == (200, b"a")
    assert wait_until(lambda: engine_sockets(proxy) == 1, timeout=6)
    client.close()
    assert wait_until(lambda: engine_sockets(proxy) == 0, timeout=6)
    with connect(proxy.port) as other:
        assert get(other) == (200, b"a")


def test_parked_connections_count_against_max_connections(wproxy, origin, monkeypatch):
    monkeypatch.setenv("WPROXY_HTTP_LANE", "off")  # parking serves connections NIO keeps
    proxy = reverse(wproxy, origin.url, extra=["--max-connections", "2"])
    held = [connect(proxy.port) for _ in range(2)]
    for client in held:
        assert get(client) == (200, b"a")
    assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=6)
    assert_refused_then_served(proxy, held)


def test_shutdown_closes_parked_connections_at_once(wproxy, origin, monkeypatch):
    monkeypatch.setenv("WPROXY_HTTP_LANE", "off")  # parking serves connections NIO keeps
    proxy = reverse(wproxy, origin.url, extra=["--drain-timeout", "20s"])
    clients = [connect(proxy.port) for _ in range(2)]
    for client in clients:
        assert get(client) == (200, b"a")
    assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=6)
    started = time.monotonic()
    assert proxy.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 5, "idle keep-alive connections do not hold up a drain"
    for client in clients:
        client.settimeout(5)
        assert client.recv(10) == b""
        client.close()


# ---------- the HTTP lane: plain reverse connections served on engine threads ----------

def lane_proxy(wproxy, origin, *extra):
    # One engine thread: its epoll set holds the listening socket, the clients and the pooled
    # upstream sockets.
    return reverse(wproxy, origin.url, extra=["--workers", "1", *extra])


def test_keep_alive_connections_live_in_the_lane_and_share_one_upstream_socket(wproxy, origin):
    proxy = lane_proxy(wproxy, origin)
    clients = [connect(proxy.port) for _ in range(3)]
    # The first request finds no pooled upstream socket: NIO connects one, serves the request and
    # hands the connection back with the socket (which takes a moment).
    assert get(clients[0]) == (200, b"a")
    # Listener + 3 clients + the one pooled upstream socket (parking would take a second).
    assert wait_until(lambda: engine_sockets(proxy) == 5, timeout=1)
    for _ in range(2):
        for client in clients:
            assert get(client) == (200, b"a")
    assert engine_sockets(proxy) == 5
    assert origin.accepted == 1
    for client in clients:
        client.close()
    assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=6)


def test_lane_access_log_has_every_field(wproxy, origin):
    proxy = lane_proxy(wproxy, origin, "--log-format", "json")
    with connect(proxy.port) as client:
        for _ in range(3):
            assert get(client, "/name?x=1") == (200, b"a")

    def lane_lines():
        return [json.loads(l) for l in list(proxy.stdout_lines) if "/name?x=1" in l]
    assert wait_until(lambda: len(lane_lines()) == 3, timeout=5)
    for line in lane_lines():
        assert line["mode"] == "reverse" and line["method"] == "GET" and line["status"] == "200"
        assert line["client"] == "127.0.0.1" and line["host"] == "example.test" and line["path"] == "/name?x=1"
        assert line["upstream"] == origin.url and line["bytes_in"] == "0" and line["bytes_out"] == "1"
        assert line["duration"].startswith("0.") and line["upstream_duration"].startswith("0.")


def test_lane_pipelined_requests_in_one_write_get_both_in_order(wproxy, origin):
    proxy = lane_proxy(wproxy, origin)
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        client.sendall(b"GET /status?code=201 HTTP/1.1\r\nHost: x\r\n\r\nGET /name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = recv_all(client)
        assert data.index(b"HTTP/1.1 201") < data.index(b"HTTP/1.1 200")
        assert b"Connection: close" in data.split(b"HTTP/1.1 200")[1]


def test_lane_hands_what_it_does_not_serve_to_nio_on_the_same_connection(wproxy, origin):
    proxy = lane_proxy(wproxy, origin)
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        client.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        status, _, body, _ = read_response(client)
        assert status == 200 and b'"method": "POST"' in body
        assert get(client) == (200, b"a")
        client.sendall(b"GET /name HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        assert read_response(client)[0] == 200
        assert get(client) == (200, b"a")
    assert origin.accepted == 1, "the lane's pooled socket went with the request to NIO"
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        status, _, body, _ = read_response(client)
        assert status == 400 and b"Content-Length and Transfer-Encoding" in body


def test_lane_idle_timeout_closes_the_connection(wproxy, origin):
    proxy = lane_proxy(wproxy, origin, "--idle-timeout", "2500ms")
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        started = time.monotonic()
        client.settimeout(8)
        assert client.recv(10) == b""
        assert 2.0 < time.monotonic() - started < 4
    assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=3)  # listener + pooled upstream


def test_lane_header_timeout_closes_a_slow_client(wproxy, origin):
    proxy = lane_proxy(wproxy, origin, "--header-timeout", "1s")
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        started = time.monotonic()
        client.sendall(b"GET /name HTTP/1.1\r\nHost:")
        client.settimeout(8)
        assert client.recv(10) == b""
        assert 0.7 < time.monotonic() - started < 3


def test_lane_upstream_timeout_gives_504_and_keeps_the_connection(wproxy, origin):
    proxy = lane_proxy(wproxy, origin, "--upstream-timeout", "500ms")
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        started = time.monotonic()
        client.sendall(b"GET /sleep?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, body, _ = read_response(client)
        assert status == 504 and b"did not respond in time" in body
        assert time.monotonic() - started < 2
        assert get(client) == (200, b"a")


def test_lane_streams_a_large_response_to_a_slow_reader_with_bounded_memory(wproxy, origin):
    proxy = lane_proxy(wproxy, origin)
    size = 32 << 20  # far more than the socket buffers hold
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        base = proxy.rss_kb()
        client.sendall(f"GET /big?n={size} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(1.5)  # not reading: the lane must stop reading the upstream
        assert proxy.rss_kb() - base < 8 << 10
        client.settimeout(30)
        data = bytearray()
        while b"\r\n\r\n" not in data:
            data += client.recv(65536)
        head, _, body = bytes(data).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") and f"Content-Length: {size}".encode() in head
        digest = hashlib.sha256(body)
        received = len(body)
        while received < size:
            chunk = client.recv(min(1 << 20, size - received))
            assert chunk, "closed before the end of the body"
            digest.update(chunk)
            received += len(chunk)
        assert digest.digest() == hashlib.sha256((bytes(range(256)) * 256 * (size // 65536 + 1))[:size]).digest()
        assert get(client) == (200, b"a")


def test_lane_client_hanging_up_is_forgotten(wproxy, origin):
    proxy = lane_proxy(wproxy, origin)
    client = connect(proxy.port)
    assert get(client) == (200, b"a")
    assert wait_until(lambda: engine_sockets(proxy) == 3, timeout=1)  # listener, client, pooled upstream
    client.close()
    assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=6)
    with connect(proxy.port) as other:
        assert get(other) == (200, b"a")


def test_lane_connections_count_against_max_connections(wproxy, origin):
    proxy = lane_proxy(wproxy, origin, "--max-connections", "2")
    held = [connect(proxy.port) for _ in range(2)]
    for client in held:
        assert get(client) == (200, b"a")
    assert_refused_then_served(proxy, held)


def test_shutdown_closes_idle_lane_connections_at_once_and_finishes_busy_ones(wproxy, origin):
    proxy = lane_proxy(wproxy, origin, "--drain-timeout", "20s")
    idle, busy = connect(proxy.port), connect(proxy.port)
    for client in (idle, busy):
        assert get(client) == (200, b"a")
    busy.sendall(b"GET /sleep?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    started = time.monotonic()
    proxy.proc.send_signal(signal.SIGTERM)
    idle.settimeout(5)
    assert idle.recv(10) == b""
    assert time.monotonic() - started < 1.5
    status, headers, _, _ = read_response(busy, timeout=10)
    assert status == 200 and headers.get("connection") == "close"
    assert proxy.proc.wait(10) == 0
    assert time.monotonic() - started < 5


def test_lane_reads_response_heads_and_bodies_in_pieces(wproxy, servers):
    """An upstream that drips its head and body: the lane keeps the partial head, follows the
    chunked framing across reads, and reuses the connection afterwards."""
    def handler(conn):
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            _, buffer = buffer.split(b"\r\n\r\n", 1)
            for piece in (b"HTTP/1.1 200 OK\r\nTransfer-Enc", b"oding: chunked\r\nX-A: b\r\n", b"\r\n5\r\nhel",
                          b"lo\r\n", b"6\r\n world\r\n0\r\n\r\n"):
                conn.sendall(piece)
                time.sleep(0.05)
    upstream = servers(handler)
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--upstream", f"http://127.0.0.1:{upstream.port}", "--workers", "1")
    with connect(proxy.port) as client:
        for _ in range(3):
            client.sendall(b"GET /drip HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, body, rest = read_response(client)
            assert status == 200 and headers.get("x-a") == "b" and body == b"hello world" and rest == b""
    assert upstream.accepted == 1


def test_lane_stops_taking_back_a_connection_that_keeps_needing_nio(wproxy, origin):
    """Each request the lane cannot serve moves the connection to NIO and, after it, back: a client
    sending bodies every time would pay that trip per request, so after three trips it stays."""
    proxy = lane_proxy(wproxy, origin)

    def post(client):
        client.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        assert read_response(client)[0] == 200

    def in_engine(client):
        # Closing a client the engine holds takes one socket out of its epoll set (within the
        # second after which NIO would park an idle connection there too).
        before = engine_sockets(proxy)
        client.close()
        return wait_until(lambda: engine_sockets(proxy) == before - 1, timeout=0.5)

    once = connect(proxy.port)
    post(once)
    assert get(once) == (200, b"a")
    assert in_engine(once), "back in the lane after one trip"
    often = connect(proxy.port)
    for _ in range(3):
        post(often)
    assert get(often) == (200, b"a")
    assert not in_engine(often), "kept by NIO after three trips"


def test_lane_is_off_with_the_environment_switch(wproxy, origin, monkeypatch):
    monkeypatch.setenv("WPROXY_HTTP_LANE", "off")
    proxy = lane_proxy(wproxy, origin)
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        assert engine_sockets(proxy) == 0  # NIO accepted and serves it (until it parks)


def test_reverse_connections_do_not_leak_memory(wproxy, origin):
    proxy = reverse(wproxy, origin.url)

    def burst(count, workers=4):
        def run():
            for _ in range(count // workers):
                with connect(proxy.port) as client:
                    client.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    assert recv_all(client).startswith(b"HTTP/1.1 200")
        threads = [threading.Thread(target=run) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    burst(400)  # warm up: pools, buffers, caches
    base = proxy.rss_kb()
    burst(2400)
    grown = proxy.rss_kb() - base
    # A connection's handler, context and pipeline used to stay alive: about 1.8 KB each, 4.3 MB here.
    print(f"RSS grew by {grown} KB over 2400 connections")
    assert grown < 1500, f"RSS grew by {grown} KB over 2400 connections"


# ---------- SOCKS: the engine accepts and runs the handshake ----------

from test_socks import read_reply, recv_exact, socks5  # noqa: E402


def socks_proxy(wproxy, *extra):
    return wproxy("socks", "--listen", "127.0.0.1:0", "--workers", "1", *extra)


def socks_connect_request(port):
    return b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + port.to_bytes(2, "big")


def test_socks_listener_handshake_and_tunnel_live_in_the_engine(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = socks_proxy(wproxy)
    assert wait_until(lambda: engine_sockets(proxy) == 1), "the listening socket is in the engine"
    client = connect(proxy.port)
    client.sendall(b"\x05\x01")  # half a greeting: the session waits in the engine
    assert wait_until(lambda: engine_sockets(proxy) == 2)
    client.sendall(b"\x00")
    assert recv_exact(client, 2) == b"\x05\x00"
    client.sendall(socks_connect_request(upstream.port))
    assert read_reply(client)[0] == 0
    client.sendall(b"ping")
    assert recv_exact(client, 4) == b"ping"
    assert engine_sockets(proxy) == 3, "listener, client and upstream, no NIO channel on the way"
    client.close()
    assert wait_until(lambda: engine_sockets(proxy) == 1)


def test_socks_greeting_request_and_data_in_one_write(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = socks_proxy(wproxy, "--access-log", "-")
    with connect(proxy.port) as client:
        client.sendall(b"\x05\x01\x00" + socks_connect_request(upstream.port) + b"early bytes")
        assert recv_exact(client, 2) == b"\x05\x00"
        assert read_reply(client)[0] == 0
        assert recv_exact(client, 11) == b"early bytes"
        client.shutdown(socket.SHUT_WR)
        assert recv_all(client) == b""
    line = proxy.wait_for_output(lambda line: "mode=socks" in line)
    assert "bytes_up=11" in line and "bytes_down=11" in line and "reply=0x00" in line


def test_socks_handshake_timeout_closes_a_silent_client_in_the_engine(wproxy):
    proxy = socks_proxy(wproxy, "--handshake-timeout", "1s", "--log-level", "debug")
    with connect(proxy.port) as client:
        client.sendall(b"\x05")
        started = time.monotonic()
        client.settimeout(5)
        assert client.recv(10) == b""
        assert 0.7 < time.monotonic() - started < 3
    assert wait_until(lambda: engine_sockets(proxy) == 1)
    proxy.wait_for_output(lambda line: "SOCKS handshake timed out" in line, stream="stderr")
    with connect(proxy.port) as client:
        client.sendall(b"\x05\x01")
    proxy.wait_for_output(lambda line: "client closed during the SOCKS handshake" in line, stream="stderr")


def test_socks_max_connections_counts_engine_sessions(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = socks_proxy(wproxy, "--max-connections", "2")
    first = socks5(proxy.port)
    second = connect(proxy.port)
    second.sendall(b"\x05")
    assert wait_until(lambda: engine_sockets(proxy) == 3)
    third = connect(proxy.port)
    third.settimeout(5)
    assert third.recv(10) == b"", "refused over the limit"
    third.close()
    second.close()
    first.sendall(socks_connect_request(upstream.port))
    assert read_reply(first)[0] == 0
    # The slot freed by `second` is taken again.
    assert wait_until(lambda: engine_sockets(proxy) == 3)
    fourth = socks5(proxy.port)
    fourth.sendall(socks_connect_request(upstream.port))
    assert read_reply(fourth)[0] == 0
    first.close()
    fourth.close()


def test_socks_drain_stops_accepting_and_lets_engine_tunnels_finish(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = socks_proxy(wproxy, "--drain-timeout", "10s")
    port = proxy.port
    client = socks5(port)
    client.sendall(socks_connect_request(upstream.port))
    assert read_reply(client)[0] == 0
    proxy.proc.send_signal(signal.SIGTERM)

    def refused():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return False
        except ConnectionRefusedError:
            return True
    assert wait_until(refused, timeout=5), "the port is released at once"
    client.sendall(b"still here")
    assert recv_exact(client, 10) == b"still here"
    client.close()
    assert proxy.proc.wait(10) == 0


def test_socks_names_and_bind_leave_the_engine_for_nio(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = socks_proxy(wproxy)
    with socks5(proxy.port) as client:
        name = b"localhost"
        client.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + upstream.port.to_bytes(2, "big"))
        assert read_reply(client)[0] == 0
        client.sendall(b"via nio")
        assert recv_exact(client, 7) == b"via nio"


def test_socks_accepts_in_nio_when_the_engine_is_off(wproxy, servers, monkeypatch):
    monkeypatch.setenv("WPROXY_RELAY", "nio")
    upstream = servers(echo_handler)
    proxy = socks_proxy(wproxy)
    with socks5(proxy.port) as client:
        client.sendall(socks_connect_request(upstream.port))
        assert read_reply(client)[0] == 0
        client.sendall(b"x")
        assert recv_exact(client, 1) == b"x"
        assert engine_sockets(proxy) == 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_socks_out_of_descriptors_backs_off_and_recovers(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = socks_proxy(wproxy)
    pid = proxy.proc.pid
    in_use = len(os.listdir(f"/proc/{pid}/fd"))
    limit = in_use + 8
    if subprocess.run(["prlimit", "--pid", str(pid), f"--nofile={limit}:{limit}"]).returncode != 0:
        pytest.skip("prlimit cannot lower the proxy's descriptor limit here")
    clients = []
    for _ in range(16):  # more than the limit allows: the rest wait in the accept queue
        client = connect(proxy.port)
        client.sendall(b"\x05")
        clients.append(client)
    time.sleep(0.5)
    assert len(os.listdir(f"/proc/{pid}/fd")) >= limit - 1, "the proxy ran out of descriptors"
    before = cpu_seconds(pid)
    time.sleep(1.5)
    assert cpu_seconds(pid) - before < 0.5, "no busy loop while accept fails with EMFILE"
    for client in clients:
        client.close()
    with socks5(proxy.port) as client:
        client.sendall(socks_connect_request(upstream.port))
        assert read_reply(client)[0] == 0
        client.sendall(b"ok")
        assert recv_exact(client, 2) == b"ok"
