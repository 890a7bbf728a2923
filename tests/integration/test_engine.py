"""The tunnel engine: tunnels older than 200 ms and parked keep-alive connections leave NIO.

Which sockets the engine holds is read from /proc: its epoll sets are those that also hold a
wake-up eventfd (registered with the data word 0xffffffffffffffff)."""
import hashlib
import os
import signal
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

def test_idle_keep_alive_connections_are_parked_and_served_again(wproxy, origin):
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


def test_parked_connection_sending_a_pipelined_pair_gets_both(wproxy, origin):
    proxy = reverse(wproxy, origin.url)
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        assert wait_until(lambda: engine_sockets(proxy) == 1, timeout=6)
        client.sendall(b"GET /name HTTP/1.1\r\nHost: x\r\n\r\nGET /name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = recv_all(client)
        assert data.count(b"HTTP/1.1 200") == 2


def test_parked_connection_is_closed_at_the_idle_timeout(wproxy, origin):
    proxy = reverse(wproxy, origin.url, extra=["--idle-timeout", "2500ms"])
    with connect(proxy.port) as client:
        assert get(client) == (200, b"a")
        started = time.monotonic()
        assert wait_until(lambda: engine_sockets(proxy) == 1, timeout=6)
        client.settimeout(8)
        assert client.recv(10) == b""
        assert 2.0 < time.monotonic() - started < 6
    assert engine_sockets(proxy) == 0


def test_client_hanging_up_while_parked_is_forgotten(wproxy, origin):
    proxy = reverse(wproxy, origin.url)
    client = connect(proxy.port)
    assert get(client) == (200, b"a")
    assert wait_until(lambda: engine_sockets(proxy) == 1, timeout=6)
    client.close()
    assert wait_until(lambda: engine_sockets(proxy) == 0, timeout=6)
    with connect(proxy.port) as other:
        assert get(other) == (200, b"a")


def test_parked_connections_count_against_max_connections(wproxy, origin):
    proxy = reverse(wproxy, origin.url, extra=["--max-connections", "2"])
    held = [connect(proxy.port) for _ in range(2)]
    for client in held:
        assert get(client) == (200, b"a")
    assert wait_until(lambda: engine_sockets(proxy) == 2, timeout=6)
    with connect(proxy.port) as extra:
        extra.settimeout(5)
        try:
            assert extra.recv(10) == b""
        except ConnectionResetError:
            pass
    for client in held:
        assert get(client) == (200, b"a")
        client.close()


def test_shutdown_closes_parked_connections_at_once(wproxy, origin):
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
