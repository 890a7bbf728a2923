"""The TLS layer of `wproxy reverse` end to end: the real binary, certificates made with openssl at
test time, curl, Python's ssl module, nghttp and a raw HTTP/2 frame client. Loopback only."""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

from conftest import run_wproxy, wait_until
from tls_support import (
    CONTINUATION, END_HEADERS, END_STREAM, HEADERS, PING, RST_STREAM, GOAWAY, RawH2, TLSOrigin,
    expected_bytes_sha256, frame, goaway_code, http_get, make_ca, make_cert, peer_common_name,
    peer_fingerprint, request_block, tls_connect)

ENHANCE_YOUR_CALM = 0xB
REFUSED_STREAM = 0x7


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A test CA; a.test (ECDSA, also *.wild.test and 127.0.0.1) and b.test (RSA) signed by it."""
    directory = str(tmp_path_factory.mktemp("certs"))
    ca = make_ca(directory)
    a = make_cert(directory, "a", ["DNS:a.test", "DNS:*.wild.test", "IP:127.0.0.1"])
    b = make_cert(directory, "b", ["DNS:b.test", "DNS:localhost"], rsa=True)
    return {"dir": directory, "ca": ca, "a": a, "b": b}


@pytest.fixture
def origin():
    made = []

    def make(cert=None, key=None):
        server = TLSOrigin(cert, key)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def tls_reverse(wproxy, upstream_url, *extra, certs=None):
    args = ["reverse", "--listen", "127.0.0.1:0", "--upstream", upstream_url, "--log-level", "debug"]
    if certs:
        for cert, key in certs:
            args += ["--tls-cert", cert, "--tls-key", key]
    return wproxy(*args, *extra)


def curl(*args, timeout=60):
    return subprocess.run(["curl", "-sS", "--max-time", "30", *args], capture_output=True, timeout=timeout)


# --- HTTPS termination ---

@pytest.mark.parametrize("version,flags", [("TLSv1.2", ["--tlsv1.2", "--tls-max", "1.2"]), ("TLSv1.3", ["--tlsv1.3"])])
def test_curl_over_tls_versions(wproxy, origin, certs, version, flags):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"]])
    result = curl(*flags, "--http1.1", "--cacert", certs["ca"], "--resolve", f"a.test:{proxy.port}:127.0.0.1",
                  "-w", "\n%{ssl_verify_result} %{http_version}", f"https://a.test:{proxy.port}/echo")
    assert result.returncode == 0, result.stderr
    body, info = result.stdout.decode().rsplit("\n", 1)
    assert info == "0 1.1"
    headers = {k.lower(): v for k, v in json.loads(body)["headers"]}
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    verbose = curl(*flags, "-v", "--cacert", certs["ca"], "--resolve", f"a.test:{proxy.port}:127.0.0.1",
                   f"https://a.test:{proxy.port}/status", "-o", "/dev/null")
    assert f"SSL connection using {version}" in verbose.stderr.decode()


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_python_ssl_versions_and_resumption(wproxy, origin, certs, version):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"]])
    context = ssl.create_default_context(cafile=certs["ca"])
    context.minimum_version = context.maximum_version = version

    def get(session=None):
        sock = context.wrap_socket(socket.create_connection(("127.0.0.1", proxy.port), timeout=10),
                                   server_hostname="a.test", session=session)
        status, _, _ = http_get(sock, "/status", close=True)
        result = (status, sock.version(), sock.session, sock.session_reused)
        sock.close()
        return result

    status, negotiated, session, reused = get()
    assert status == 200 and negotiated == version.name.replace("_", ".") and not reused
    status, _, _, reused = get(session)
    assert status == 200 and reused, "the session was not resumed"


def test_old_tls_versions_are_refused(wproxy, origin, certs):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"]])
    context = ssl._create_unverified_context()
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("ALL:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        context.wrap_socket(socket.create_connection(("127.0.0.1", proxy.port), timeout=10), server_hostname="a.test")


def test_sni_picks_the_certificate(wproxy, origin, certs):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"], certs["b"]])
    for name, expected in [("a.test", "a.test"), ("b.test", "b.test"), ("x.wild.test", "a.test"),
                           ("B.TEST", "b.test"), ("unknown.test", "a.test"), (None, "a.test")]:
        sock = tls_connect(proxy.port, server_name=name)
        assert peer_common_name(sock) == expected, name
        status, _, _ = http_get(sock, "/status", host=name or "x")
        assert status == 200
        sock.close()
    # Verified end to end with the test CA for both names.
    for name in ("a.test", "b.test"):
        sock = tls_connect(proxy.port, server_name=name, cafile=certs["ca"])
        assert http_get(sock, "/status", host=name)[0] == 200
        sock.close()
    proxy.wait_for_output(lambda line: "no certificate for SNI 'unknown.test'" in line, stream="stderr")


def test_self_signed_certificate(wproxy, origin):
    up = origin()
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--upstream", up.url, "--tls-self-signed")
    line = proxy.wait_for_output(lambda l: "self-signed certificate" in l, stream="stderr")
    logged = re.search(r"fingerprint ([0-9A-F:]{95})", line).group(1)
    sock = tls_connect(proxy.port, server_name="localhost")
    assert peer_fingerprint(sock) == logged
    der = sock.getpeercert(binary_form=True)
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-ext", "subjectAltName"], input=der,
                          capture_output=True, timeout=10).stdout.decode()
    for name in ("DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"):
        assert name in text, text
    assert http_get(sock, "/status")[0] == 200
    sock.close()
    # curl verifies it once told to trust it.
    pem = ssl.DER_cert_to_PEM_cert(der)
    path = os.path.join(os.path.dirname(proxy.args[0]), "..", "selfsigned-test.pem")
    with open(path, "w") as f:
        f.write(pem)
    try:
        result = curl("--cacert", path, f"https://localhost:{proxy.port}/status", "-o", "/dev/null", "-w", "%{http_code}")
        assert result.stdout == b"200", result.stderr
    finally:
        os.remove(path)


def test_bad_input_on_the_tls_port(wproxy, origin, certs):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, "--header-timeout", "1s", certs=[certs["a"]])
    # Plain HTTP to the TLS port: a plain-text 400, then a close.
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 400"), data
    assert b"HTTPS" in data
    # A truncated ClientHello, then EOF.
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    sock.sendall(bytes.fromhex("160301020001"))
    sock.shutdown(socket.SHUT_WR)
    assert sock.recv(4096) in (b"",) or True
    sock.close()
    # A stalled handshake is closed after the handshake timeout (the header timeout).
    stalled = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    stalled.sendall(bytes.fromhex("1603010200"))
    started = time.monotonic()
    try:
        assert stalled.recv(4096) == b""
    except ConnectionResetError:
        pass
    assert time.monotonic() - started < 4
    # Garbage that is neither TLS nor HTTP.
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    sock.sendall(os.urandom(64))
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    # Everything else is untouched.
    sock = tls_connect(proxy.port, server_name="a.test")
    assert http_get(sock, "/status")[0] == 200
    proxy.wait_for_output(lambda line: "TLS handshake failed" in line, stream="stderr")
    proxy.wait_for_output(lambda line: "TLS handshake timed out" in line, stream="stderr")
    assert proxy.proc.poll() is None


def test_bad_certificate_files_exit_1(certs, tmp_path):
    result = run_wproxy("reverse", "--upstream", "http://127.0.0.1:9", "--tls-cert", str(tmp_path / "missing.pem"),
                        "--tls-key", certs["a"][1])
    assert result.returncode == 1
    assert "missing.pem" in result.stderr and "Traceback" not in result.stderr
    result = run_wproxy("reverse", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9",
                        "--tls-cert", certs["a"][0], "--tls-key", certs["b"][1])
    assert result.returncode == 1
    assert "does not match" in result.stderr
    result = run_wproxy("reverse", "--upstream", "http://127.0.0.1:9", "--tls-cert", certs["a"][0])
    assert result.returncode == 64
    assert "pairs" in result.stderr


# --- HTTP/2 ---

def test_h2_alpn_and_concurrent_streams(wproxy, origin, certs):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"]])
    result = curl("--http2", "-k", "-w", "%{http_version}", f"https://127.0.0.1:{proxy.port}/status", "-o", "/dev/null")
    assert result.stdout == b"2", result.stderr
    urls = [f"https://127.0.0.1:{proxy.port}/sleep?ms=700&i={i}" for i in range(6)]
    started = time.monotonic()
    result = subprocess.run(["nghttp", "-v", *urls], capture_output=True, timeout=60)
    elapsed = time.monotonic() - started
    out = result.stdout.decode()
    assert result.returncode == 0, out[-2000:]
    assert out.count(":status: 200") == 6
    assert "h2 negotiated" in out or "The negotiated protocol: h2" in out
    assert elapsed < 3, f"streams were not served concurrently ({elapsed:.1f}s)"
    # Bodies of concurrent streams land on the right stream.
    urls = [f"https://127.0.0.1:{proxy.port}/echo?i={i}" for i in range(10)]
    result = subprocess.run(["nghttp", *urls], capture_output=True, timeout=60)
    bodies = re.findall(rb'\{"method".*?\]\]\}', result.stdout)
    paths = sorted(json.loads(body)["path"] for body in bodies)
    assert paths == sorted(f"/echo?i={i}" for i in range(10))
    for body in bodies:
        headers = {k.lower(): v for k, v in json.loads(body)["headers"]}
        assert headers["x-forwarded-proto"] == "https" and headers["host"] == f"127.0.0.1:{proxy.port}"


def test_h2_large_bodies_stream_both_ways(wproxy, origin, certs, tmp_path):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"]])
    size = 24_000_000
    result = curl("--http2", "-k", f"https://127.0.0.1:{proxy.port}/bytes?n={size}", "-o", str(tmp_path / "down"),
                  "-w", "%{http_version} %{size_download}")
    assert result.stdout == f"2 {size}".encode(), result.stderr
    import hashlib
    assert hashlib.sha256((tmp_path / "down").read_bytes()).hexdigest() == expected_bytes_sha256(size)
    upload = os.urandom(8_000_000)
    (tmp_path / "up").write_bytes(upload)
    for extra in ([], ["-H", "Transfer-Encoding: chunked"]):
        result = curl("--http2", "-k", "--data-binary", f"@{tmp_path / 'up'}", *extra,
                      f"https://127.0.0.1:{proxy.port}/upload")
        answer = json.loads(result.stdout)
        assert answer["length"] == len(upload) and answer["sha256"] == hashlib.sha256(upload).hexdigest()
    # Chunked responses lose their framing in HTTP/2 but keep their data.
    result = curl("--http2", "-k", f"https://127.0.0.1:{proxy.port}/chunked?n=5")
    assert result.stdout == b"".join(f"chunk{i};".encode() for i in range(5))
    assert proxy.rss_kb() < 200_000


def test_h2_stream_limit_and_refused_stream(wproxy, origin, certs):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, "--h2-max-streams", "2", certs=[certs["a"]])
    client = RawH2(proxy.port)
    settings = client.handshake()
    assert settings.get(3) == 2  # SETTINGS_MAX_CONCURRENT_STREAMS
    block = request_block("/sleep?ms=800")
    client.sock.sendall(b"".join(frame(HEADERS, END_HEADERS | END_STREAM, sid, block) for sid in (1, 3, 5)))
    resets, statuses = {}, set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(statuses) < 2 or 5 not in resets):
        got = client.read_frame()
        if got is None:
            break
        kind, flags, sid, payload = got
        if kind == RST_STREAM:
            resets[sid] = int.from_bytes(payload[:4], "big")
        elif kind == HEADERS:
            statuses.add(sid)
    assert resets.get(5) == REFUSED_STREAM, resets
    assert statuses == {1, 3}


def test_h2_floods_end_in_enhance_your_calm(wproxy, origin, certs):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"]])
    # Rapid reset: open and cancel streams over and over.
    client = RawH2(proxy.port)
    client.handshake()
    burst = b"".join(frame(HEADERS, END_HEADERS | END_STREAM, sid, request_block("/status"))
                     + frame(RST_STREAM, 0, sid, (8).to_bytes(4, "big")) for sid in range(1, 2000, 2))
    try:
        client.sock.sendall(burst)
    except OSError:
        pass
    assert goaway_code(client.frames_until_closed()) == ENHANCE_YOUR_CALM
    # CONTINUATION flood: a header block that never ends.
    client = RawH2(proxy.port)
    client.handshake()
    payload = frame(HEADERS, 0, 1, request_block("/status"))
    payload += b"".join(frame(CONTINUATION, 0, 1, b"\x00\x01x\x01y") for _ in range(50))
    try:
        client.sock.sendall(payload)
    except OSError:
        pass
    assert goaway_code(client.frames_until_closed()) == ENHANCE_YOUR_CALM
    # PING flood.
    client = RawH2(proxy.port)
    client.handshake()
    try:
        client.sock.sendall(b"".join(frame(PING, 0, 0, i.to_bytes(8, "big")) for i in range(1000)))
    except OSError:
        pass
    assert goaway_code(client.frames_until_closed()) == ENHANCE_YOUR_CALM
    # The proxy is fine.
    result = curl("--http2", "-k", f"https://127.0.0.1:{proxy.port}/status", "-o", "/dev/null", "-w", "%{http_code}")
    assert result.stdout == b"200"


def test_h2_header_injection_is_refused(wproxy, origin, certs):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"]])
    client = RawH2(proxy.port)
    client.handshake()
    from tls_support import hpack_literal
    block = request_block("/echo") + hpack_literal("x-evil", "a\r\nTransfer-Encoding: chunked")
    client.sock.sendall(frame(HEADERS, END_HEADERS | END_STREAM, 1, block))
    got = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        item = client.read_frame()
        if item is None:
            break
        got.append(item)
        if item[0] in (RST_STREAM, GOAWAY):
            break
    assert any(kind in (RST_STREAM, GOAWAY) for kind, *_ in got), got
    assert not any(kind == HEADERS for kind, *_ in got)
    assert all("x-evil" not in str(headers) for _, _, headers in up.requests)


def test_h2_graceful_shutdown_sends_goaway(wproxy, origin, certs):
    up = origin()
    proxy = tls_reverse(wproxy, up.url, certs=[certs["a"]])
    client = RawH2(proxy.port)
    client.handshake()
    client.sock.sendall(frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block("/sleep?ms=600")))
    time.sleep(0.2)
    proxy.proc.send_signal(signal.SIGTERM)
    frames = client.frames_until_closed()
    kinds = [kind for kind, *_ in frames]
    assert GOAWAY in kinds
    assert goaway_code(frames) == 0
    # The stream in flight still got its response.
    assert any(kind == HEADERS and sid == 1 for kind, _, sid, _ in frames)
    assert proxy.proc.wait(15) == 0


# --- HTTPS upstreams ---

def test_https_upstream_verified_and_insecure(wproxy, origin, certs):
    up = origin(*certs["b"])  # b.test / localhost, signed by the test CA
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--upstream", f"https://localhost:{up.port}",
                   "--upstream-ca", certs["ca"])
    result = curl(f"http://127.0.0.1:{proxy.port}/echo")
    assert json.loads(result.stdout)["path"] == "/echo"
    assert up.server_names == ["localhost"]  # SNI is the upstream host
    # Without trust for the test CA (system store), verification fails: 502.
    proxy2 = wproxy("reverse", "--listen", "127.0.0.1:0", "--upstream", f"https://localhost:{up.port}", "--retries", "0")
    result = curl(f"http://127.0.0.1:{proxy2.port}/echo", "-o", "/dev/null", "-w", "%{http_code}")
    assert result.stdout == b"502"
    # A name the certificate does not carry fails too, even with the CA.
    proxy3 = wproxy("reverse", "--listen", "127.0.0.1:0", "--upstream", f"https://127.0.0.1:{up.port}",
                    "--upstream-ca", certs["ca"], "--retries", "0")
    result = curl(f"http://127.0.0.1:{proxy3.port}/echo", "-o", "/dev/null", "-w", "%{http_code}")
    assert result.stdout == b"502"
    # --upstream-insecure skips verification; pooled connections are reused.
    proxy4 = wproxy("reverse", "--listen", "127.0.0.1:0", "--upstream", f"https://127.0.0.1:{up.port}",
                    "--upstream-insecure", "--workers", "1")
    before = up.accepted
    for _ in range(3):
        result = curl(f"http://127.0.0.1:{proxy4.port}/status", "-o", "/dev/null", "-w", "%{http_code}")
        assert result.stdout == b"200"
    assert up.accepted - before == 1
    # Large body from an HTTPS upstream to an HTTP/2 client over TLS.
    proxy5 = tls_reverse(wproxy, f"https://localhost:{up.port}", "--upstream-ca", certs["ca"], certs=[certs["a"]])
    result = curl("--http2", "-k", f"https://127.0.0.1:{proxy5.port}/bytes?n=3000000", "-o", "/dev/null",
                  "-w", "%{http_version} %{size_download}")
    assert result.stdout == b"2 3000000"


def test_upstream_tls_flags_validation():
    result = run_wproxy("reverse", "--upstream", "http://127.0.0.1:1", "--upstream-insecure")
    assert result.returncode == 64 and "https://" in result.stderr
    result = run_wproxy("reverse", "--upstream", "https://127.0.0.1:1", "--upstream-ca", "/nonexistent/ca.pem")
    assert result.returncode == 1 and "/nonexistent/ca.pem" in result.stderr


# --- reload ---

def _live_certificate(certs, tmp_path):
    """A certificate/key pair at paths the test rewrites later, starting as a.test's."""
    live_cert, live_key = str(tmp_path / "live.pem"), str(tmp_path / "live.key")
    shutil.copy(certs["a"][0], live_cert)
    shutil.copy(certs["a"][1], live_key)
    return live_cert, live_key


def _check_sighup_swap(proxy, certs, live_cert, live_key):
    """Swap a.test's files for b.test's under an open keep-alive connection, SIGHUP, and check the new
    certificate is served, the open connection survives, and a broken file keeps the running one."""
    kept = tls_connect(proxy.port, server_name="a.test")
    assert peer_common_name(kept) == "a.test"
    assert http_get(kept, "/status")[0] == 200
    shutil.copy(certs["b"][0], live_cert)
    shutil.copy(certs["b"][1], live_key)
    proxy.proc.send_signal(signal.SIGHUP)
    proxy.wait_for_output(lambda line: "configuration reloaded" in line, stream="stderr")
    fresh = tls_connect(proxy.port, server_name="a.test")
    assert peer_common_name(fresh) == "b.test"
    assert http_get(fresh, "/status")[0] == 200
    # The connection opened before the reload was not dropped.
    assert http_get(kept, "/status")[0] == 200
    kept.close()
    # A broken certificate file on reload keeps the running configuration.
    with open(live_cert, "w") as f:
        f.write("not a certificate")
    proxy.proc.send_signal(signal.SIGHUP)
    proxy.wait_for_output(lambda line: "reload failed" in line, stream="stderr")
    again = tls_connect(proxy.port, server_name="a.test")
    assert peer_common_name(again) == "b.test"


def test_sighup_swaps_certificates_under_keepalive(wproxy, origin, certs, tmp_path):
    up = origin()
    live_cert, live_key = _live_certificate(certs, tmp_path)
    config = tmp_path / "tls.toml"
    config.write_text(f"""
[[listeners]]
mode = "reverse"
listen = ["127.0.0.1:0"]
upstream = ["{up.url}"]
h2_max_streams = 50
tls = {{ certs = [{{ cert = "{live_cert}", key = "{live_key}" }}] }}
""")
    assert run_wproxy("check", "--config", str(config)).returncode == 0
    _check_sighup_swap(wproxy("run", "--config", str(config)), certs, live_cert, live_key)


def test_sighup_swaps_flag_certificates_under_keepalive(wproxy, origin, certs, tmp_path):
    """Started from flags (no config file), SIGHUP re-reads --tls-cert/--tls-key as `run --config` does."""
    up = origin()
    live_cert, live_key = _live_certificate(certs, tmp_path)
    proxy = wproxy("reverse", "--listen", "127.0.0.1:0", "--upstream", up.url, "--tls-cert", live_cert, "--tls-key", live_key)
    _check_sighup_swap(proxy, certs, live_cert, live_key)


def test_config_file_tls_keys(tmp_path, certs):
    bad = tmp_path / "bad.toml"
    bad.write_text("""
[[listeners]]
mode = "reverse"
listen = ["127.0.0.1:0"]
upstream = ["http://127.0.0.1:1"]
tls = { certs = [{ cert = "a.pem" }], bogus = 1 }
h2_max_streams = 0
""")
    result = run_wproxy("check", "--config", str(bad))
    assert result.returncode == 1
    assert "bad.toml:6" in result.stderr and "'key'" in result.stderr
    assert "bogus" in result.stderr
    assert "bad.toml:7" in result.stderr and "h2_max_streams" in result.stderr
    good = tmp_path / "good.toml"
    good.write_text(f"""
[[listeners]]
mode = "reverse"
listen = ["127.0.0.1:0"]
upstream = ["https://127.0.0.1:1"]
upstream_insecure = true
tls = {{ self_signed = true }}
redirect_http = "127.0.0.1:0"
""")
    result = run_wproxy("check", "--config", str(good))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("reverse on") == 2


def test_h2_slow_reader_backpressure(wproxy, origin, certs):
    """A client that never opens its flow-control window: wproxy stops reading the upstream
    instead of buffering a 300 MB body."""
    from tls_support import DATA
    up = origin()
    proxy = tls_reverse(wproxy, up.url, "--workers", "1", certs=[certs["a"]])
    base = proxy.rss_kb()
    client = RawH2(proxy.port)
    client.handshake()
    client.sock.sendall(frame(HEADERS, END_HEADERS | END_STREAM, 1, request_block("/bytes?n=300000000")))
    received = 0
    client.sock.settimeout(1)
    deadline = time.monotonic() + 3
    try:
        while time.monotonic() < deadline:
            got = client.read_frame()
            if got is None:
                break
            if got[0] == DATA:
                received += len(got[3])
    except (socket.timeout, ssl.SSLError, OSError):
        pass
    time.sleep(1)
    assert received <= 65535  # the client's initial window
    assert proxy.rss_kb() - base < 30_000, "the proxy buffered the body"
