"""`wproxy tcp` end to end with the real binary and real sockets on loopback."""
import hashlib
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest

from conftest import connect, echo_handler, free_port, name_handler, recording_server, recv_all, wait_until


def test_one_mebibyte_echo_is_intact(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    payload = os.urandom(1 << 20)
    with connect(proxy.port) as client:
        sender = threading.Thread(target=client.sendall, args=(payload,))
        sender.start()
        received = bytearray()
        client.settimeout(10)
        while len(received) < len(payload):
            chunk = client.recv(65536)
            assert chunk, "connection closed early"
            received += chunk
        sender.join()
    assert hashlib.sha256(received).digest() == hashlib.sha256(payload).digest()


def test_half_close_client_still_gets_the_reply(wproxy, servers):
    def reply_after_eof(conn):
        data = recv_all(conn)
        conn.sendall(b"got " + str(len(data)).encode())

    upstream = servers(reply_after_eof)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    with connect(proxy.port) as client:
        client.sendall(b"x" * 100_000)
        client.shutdown(socket.SHUT_WR)
        assert recv_all(client) == b"got 100000"


def test_upstream_half_close_reaches_the_client(wproxy, servers):
    got = {}

    def speak_then_listen(conn):
        conn.sendall(b"banner")
        conn.shutdown(socket.SHUT_WR)
        got["data"] = recv_all(conn)

    upstream = servers(speak_then_listen)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    with connect(proxy.port) as client:
        assert recv_all(client) == b"banner"  # EOF arrives while our side is still open
        client.sendall(b"late request")
        client.shutdown(socket.SHUT_WR)
        assert wait_until(lambda: "data" in got)
    assert got["data"] == b"late request"


def test_dead_upstream_is_skipped_on_retry(wproxy, servers):
    live = servers(name_handler("live"))
    dead = free_port()
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{dead}",
                   "--upstream", f"127.0.0.1:{live.port}", "--retries", "1", "--connect-timeout", "2s")
    for _ in range(6):
        with connect(proxy.port) as client:
            assert recv_all(client) == b"live"
    assert live.accepted == 6


def test_round_robin_and_weights_spread_connections(wproxy, servers):
    a = servers(name_handler("a"))
    b = servers(name_handler("b"))
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{a.port},weight=3",
                   "--upstream", f"127.0.0.1:{b.port}")
    seen = []
    for _ in range(8):
        with connect(proxy.port) as client:
            seen.append(recv_all(client))
    assert seen.count(b"a") == 6 and seen.count(b"b") == 2


def test_backup_is_used_only_when_primaries_are_down(wproxy, servers):
    primary = servers(name_handler("primary"))
    backup = servers(name_handler("backup"))
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{primary.port}",
                   "--upstream", f"127.0.0.1:{backup.port},backup")
    for _ in range(3):
        with connect(proxy.port) as client:
            assert recv_all(client) == b"primary"
    primary.close()
    with connect(proxy.port) as client:
        assert recv_all(client) == b"backup"


def test_failing_upstream_leaves_rotation_and_returns(wproxy, servers):
    steady = servers(name_handler("steady"))
    flaky = servers(name_handler("flaky"))
    flaky_port = flaky.port
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{flaky_port}",
                   "--upstream", f"127.0.0.1:{steady.port}", "--health-check", "tcp",
                   "--health-interval", "200ms", "--retries", "0", "--log-level", "info")
    flaky.close()
    proxy.wait_for_output(lambda l: "out of rotation" in l, stream="stderr", timeout=10)
    # With retries 0, every connection must now land on the healthy upstream.
    for _ in range(6):
        with connect(proxy.port) as client:
            assert recv_all(client) == b"steady"
    revived = servers(name_handler("flaky"), port=flaky_port)
    proxy.wait_for_output(lambda l: "healthy again" in l, stream="stderr", timeout=10)
    seen = set()
    for _ in range(6):
        with connect(proxy.port) as client:
            seen.add(recv_all(client))
    assert seen == {b"steady", b"flaky"}
    assert revived.accepted >= 1


def test_idle_timeout_closes_silent_tunnels(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--idle-timeout", "500ms")
    with connect(proxy.port) as client:
        client.sendall(b"ping")
        assert client.recv(10) == b"ping"
        started = time.monotonic()
        client.settimeout(5)
        assert client.recv(10) == b""
        assert 0.3 < time.monotonic() - started < 4
    line = proxy.wait_for_output(lambda l: "idle_timeout" in l)
    assert "end=idle_timeout" in line


def test_max_connections_closes_the_excess_at_once(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--max-connections", "2")
    held = [connect(proxy.port), connect(proxy.port)]
    for sock in held:
        sock.sendall(b"hi")
        assert sock.recv(10) == b"hi"
    extra = connect(proxy.port)
    extra.settimeout(5)
    try:
        assert extra.recv(10) == b""
    except ConnectionResetError:
        pass
    extra.close()
    held[0].close()
    # A slot frees up once a held connection closes.
    def third_works():
        try:
            with connect(proxy.port) as sock:
                sock.sendall(b"ok")
                sock.settimeout(2)
                return sock.recv(10) == b"ok"
        except OSError:
            return False
    assert wait_until(third_works, timeout=5)
    held[1].close()


def test_access_log_line_per_tunnel(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--log-format", "json")
    with connect(proxy.port) as client:
        client.sendall(b"12345")
        assert client.recv(10) == b"12345"
    line = proxy.wait_for_output(lambda l: '"mode":"tcp"' in l)
    record = json.loads(line)
    assert record["upstream"] == f"127.0.0.1:{upstream.port}"
    assert record["client"].startswith("127.0.0.1:")
    assert record["bytes_up"] == "5" and record["bytes_down"] == "5"
    assert record["end"] == "closed"
    assert float(record["duration"]) >= 0


def test_access_log_to_a_file(wproxy, servers, tmp_path):
    upstream = servers(echo_handler)
    path = tmp_path / "access.log"
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--access-log", str(path))
    with connect(proxy.port) as client:
        client.sendall(b"abc")
        assert client.recv(10) == b"abc"
    assert wait_until(lambda: path.exists() and "bytes_up=3" in path.read_text(), timeout=5)


def read_header(conn, size):
    conn.settimeout(10)
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_proxy_protocol_v1(wproxy, servers):
    got = {}

    def record(conn):
        data = b""
        while b"\r\n" not in data:
            data += conn.recv(200)
        got["header"], _, rest = data.partition(b"\r\n")
        got["rest"] = rest + recv_all(conn)

    upstream = servers(record)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--proxy-protocol", "v1")
    with connect(proxy.port) as client:
        client.sendall(b"payload")
        client.shutdown(socket.SHUT_WR)
        recv_all(client)
        client_port = client.getsockname()[1]
    assert wait_until(lambda: "rest" in got)
    assert got["header"] == f"PROXY TCP4 127.0.0.1 127.0.0.1 {client_port} {proxy.port}".encode()
    assert got["rest"] == b"payload"


def test_proxy_protocol_v2(wproxy, servers):
    got = {}

    def record(conn):
        got["header"] = read_header(conn, 16 + 12)
        got["rest"] = recv_all(conn)

    upstream = servers(record)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--proxy-protocol", "v2")
    with connect(proxy.port) as client:
        client.sendall(b"payload")
        client.shutdown(socket.SHUT_WR)
        recv_all(client)
        client_port = client.getsockname()[1]
    assert wait_until(lambda: "rest" in got)
    header = got["header"]
    assert header[:12] == b"\r\n\r\n\x00\r\nQUIT\n"
    assert header[12] == 0x21 and header[13] == 0x11
    assert struct.unpack("!H", header[14:16])[0] == 12
    src, dst, sport, dport = struct.unpack("!4s4sHH", header[16:28])
    assert socket.inet_ntoa(src) == "127.0.0.1" and socket.inet_ntoa(dst) == "127.0.0.1"
    assert (sport, dport) == (client_port, proxy.port)
    assert got["rest"] == b"payload"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    directory = tmp_path_factory.mktemp("certs")
    made = {}
    for name in ("a.example.test", "b.example.test"):
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={name}",
                        "-addext", f"subjectAltName=DNS:{name}"], check=True, capture_output=True)
        made[name] = (str(cert), str(key))
    return made


def tls_server(servers, cert, key, reply):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def handler(conn):
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(reply)

    return servers(handler)


def tls_fetch(port, server_name):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with connect(port) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            cert = tls.getpeercert(binary_form=True)
            data = b""
            try:
                while True:
                    chunk = tls.recv(100)
                    if not chunk:
                        break
                    data += chunk
            except (ssl.SSLError, OSError):
                pass
            return data, cert


def test_sni_routing_to_two_tls_upstreams(wproxy, servers, certificates):
    a = tls_server(servers, *certificates["a.example.test"], b"from A")
    b = tls_server(servers, *certificates["b.example.test"], b"from B")
    default = servers(name_handler("default"))
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--sni", f"a.example.test=127.0.0.1:{a.port}",
                   "--sni", f"*.wild.test=127.0.0.1:{b.port}", "--upstream", f"127.0.0.1:{default.port}")
    assert tls_fetch(proxy.port, "a.example.test")[0] == b"from A"
    assert tls_fetch(proxy.port, "x.wild.test")[0] == b"from B"
    assert tls_fetch(proxy.port, "deep.x.wild.test")[0] == b"from B"
    # Plain TCP (no ClientHello) and unmatched names go to the --upstream set.
    with connect(proxy.port) as client:
        client.sendall(b"not tls at all\r\n")
        assert recv_all(client) == b"default"
    line = proxy.wait_for_output(lambda l: "sni=x.wild.test" in l)
    assert f"upstream=127.0.0.1:{b.port}" in line


def test_sni_without_a_match_and_no_upstreams_is_closed(wproxy, servers, certificates):
    a = tls_server(servers, *certificates["a.example.test"], b"from A")
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--sni", f"a.example.test=127.0.0.1:{a.port}")
    with pytest.raises((ssl.SSLError, OSError)):
        tls_fetch(proxy.port, "other.test")
    assert tls_fetch(proxy.port, "a.example.test")[0] == b"from A"


def test_sni_handshake_timeout(wproxy, servers, certificates):
    a = tls_server(servers, *certificates["a.example.test"], b"from A")
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--sni", f"a.example.test=127.0.0.1:{a.port}",
                   "--handshake-timeout", "300ms")
    with connect(proxy.port) as client:
        client.sendall(b"\x16\x03\x01")  # a ClientHello that never completes
        client.settimeout(5)
        started = time.monotonic()
        assert client.recv(10) == b""
        assert time.monotonic() - started < 4


def test_sigterm_lets_an_in_flight_transfer_finish(wproxy, servers):
    size = 20 * 200_000

    def slow_sender(conn):
        chunk = b"z" * (size // 20)
        for _ in range(20):
            conn.sendall(chunk)
            time.sleep(0.05)

    upstream = servers(slow_sender)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    with connect(proxy.port) as client:
        first = client.recv(65536)
        assert first
        proxy.proc.send_signal(signal.SIGTERM)
        rest = recv_all(client, timeout=15)
    assert len(first) + len(rest) == size
    assert proxy.proc.wait(15) == 0
    with pytest.raises(OSError):
        connect(proxy.port, timeout=2).close()


def test_drain_timeout_cuts_long_tunnels(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--drain-timeout", "300ms")
    with connect(proxy.port) as client:
        client.sendall(b"hi")
        assert client.recv(10) == b"hi"
        started = time.monotonic()
        proxy.proc.send_signal(signal.SIGTERM)
        assert proxy.proc.wait(10) == 0
        assert time.monotonic() - started < 5
        client.settimeout(5)
        try:
            assert client.recv(10) == b""
        except ConnectionResetError:
            pass


def test_misbehaving_client_does_not_disturb_others(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}")
    rude = connect(proxy.port)
    rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    rude.sendall(os.urandom(10000))
    rude.close()  # RST mid-stream
    with connect(proxy.port) as client:
        client.sendall(b"still fine")
        assert client.recv(100) == b"still fine"


def test_listens_on_ipv6_loopback(wproxy, servers):
    if not socket.has_ipv6:
        pytest.skip("IPv6 is not available on this machine")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "[::1]:0", "--upstream", f"127.0.0.1:{upstream.port}")
    with socket.create_connection(("::1", proxy.port), timeout=5) as client:
        client.sendall(b"v6")
        assert client.recv(10) == b"v6"
    assert any("listening on [::1]:" in l for l in proxy.stderr_lines)


def test_bytes_and_eof_sent_while_the_upstream_is_dialed_arrive(wproxy, servers, slow_socks5_hop):
    upstream, got = recording_server(servers)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--upstream-proxy", f"socks5://127.0.0.1:{slow_socks5_hop}", "--proxy-protocol", "v1")
    with connect(proxy.port) as client:
        client.sendall(b"payload")
        client.shutdown(socket.SHUT_WR)  # NIO reads up to this EOF while the dial still runs
        assert recv_all(client) == b""
    assert wait_until(lambda: "data" in got)
    assert got["data"].startswith(b"PROXY TCP4 ") and got["data"].endswith(b"\r\npayload")
