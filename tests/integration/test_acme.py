"""ACME end to end against Pebble (Let's Encrypt's test CA, Debian package `pebble`), started here on
loopback with pebble-challtestsrv as its DNS (every name resolves to 127.0.0.1), so HTTP-01 is
really validated against wproxy's --redirect-http listener. Skipped, with the reason printed, only
where Pebble is not installed or cannot start."""
import json
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import time
import urllib.request

import pytest

from conftest import free_port, wait_until
from tls_support import http_get, make_ca, make_cert, peer_fingerprint, tls_connect, TLSOrigin

DOMAIN = "wproxy.test"


class Pebble:
    def __init__(self, directory):
        self.dir = directory
        make_ca(directory, "Pebble listener CA")
        self.tls_cert, self.tls_key = make_cert(directory, "pebble", ["DNS:localhost", "IP:127.0.0.1"])
        self.ca = os.path.join(directory, "ca.pem")
        self.port, self.management, self.dns, self.challenge_management = (free_port() for _ in range(4))
        self.http_port = free_port()  # where Pebble validates HTTP-01: wproxy's --redirect-http
        self.tls_port = free_port()  # where Pebble validates TLS-ALPN-01: wproxy's TLS listener
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}", "managementListenAddress": f"127.0.0.1:{self.management}",
            "certificate": self.tls_cert, "privateKey": self.tls_key, "httpPort": self.http_port,
            "tlsPort": self.tls_port, "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        with open(os.path.join(directory, "pebble.json"), "w") as f:
            json.dump(config, f)
        self.dns_proc = subprocess.Popen(
            ["pebble-challtestsrv", "-dns01", f"127.0.0.1:{self.dns}", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"127.0.0.1:{self.challenge_management}", "-defaultIPv6", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0", PEBBLE_AUTHZREUSE="0")
        self.log = open(os.path.join(directory, "pebble.log"), "w")
        self.proc = subprocess.Popen(
            ["pebble", "-config", os.path.join(directory, "pebble.json"), "-dnsserver", f"127.0.0.1:{self.dns}"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.directory_url = f"https://127.0.0.1:{self.port}/dir"
        context = ssl.create_default_context(cafile=self.ca)

        def up():
            try:
                urllib.request.urlopen(self.directory_url, context=context, timeout=2).read()
                return True
            except OSError:
                return False
        if not wait_until(up, timeout=15):
            self.stop()
            raise RuntimeError("pebble did not start: " + open(os.path.join(directory, "pebble.log")).read()[-2000:])
        # The root that signs issued certificates (a new one each Pebble start).
        self.root = os.path.join(directory, "pebble-root.pem")
        with urllib.request.urlopen(f"https://127.0.0.1:{self.management}/roots/0", context=context, timeout=5) as r:
            open(self.root, "wb").write(r.read())

    def stop(self):
        for proc in (self.proc, self.dns_proc):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def pebble(tmp_path_factory):
    if not shutil.which("pebble") or not shutil.which("pebble-challtestsrv"):
        print("SKIP reason: pebble is not installed (Debian package 'pebble'; scripts/setup installs it)")
        pytest.skip("pebble is not installed (Debian package 'pebble')")
    try:
        server = Pebble(str(tmp_path_factory.mktemp("pebble")))
    except (OSError, RuntimeError) as error:
        print(f"SKIP reason: pebble cannot start: {error}")
        pytest.skip(f"pebble cannot start: {error}")
    yield server
    server.stop()


@pytest.fixture
def upstream():
    server = TLSOrigin()
    yield server
    server.close()


def acme_proxy(wproxy, pebble, upstream, storage, *extra, redirect=True, listen="127.0.0.1:0"):
    args = ["reverse", "--listen", listen, "--upstream", upstream.url, "--acme", DOMAIN,
            "--acme-email", "ops@wproxy.test", "--acme-directory", pebble.directory_url, "--acme-ca", pebble.ca,
            "--acme-storage", storage]
    if redirect:
        args += ["--redirect-http", f"127.0.0.1:{pebble.http_port}"]
    return wproxy(*args, *extra, expect_listeners=2 if redirect else 1)


def verified(port, root):
    """A connection that verifies the served certificate against Pebble's root for DOMAIN."""
    return tls_connect(port, server_name=DOMAIN, cafile=root)


def test_acme_issue_store_reuse_and_renew(wproxy, pebble, upstream, tmp_path):
    storage = str(tmp_path / "acme")
    proxy = acme_proxy(wproxy, pebble, upstream, storage)
    proxy.wait_for_output(lambda l: "new certificate for wproxy.test installed" in l, stream="stderr", timeout=60)
    sock = verified(proxy.port, pebble.root)
    first = peer_fingerprint(sock)
    status, _, body = http_get(sock, "/echo", host=DOMAIN)
    assert status == 200 and b"x-forwarded-proto" in body.lower()
    sock.close()

    # Storage: directories 0700, keys 0600.
    folder = os.path.join(storage, f"127.0.0.1_{pebble.port}")
    for path in (storage, folder, os.path.join(folder, DOMAIN)):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700, path
    for name in ("account.key", f"{DOMAIN}/key.pem", f"{DOMAIN}/cert.pem"):
        assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o600, name

    # The redirect listener: 308 to https, unknown challenges 404.
    plain = socket.create_connection(("127.0.0.1", pebble.http_port), timeout=5)
    plain.sendall(f"GET /a/b?c=1 HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
    from test_reverse import read_response
    status, headers, _, _ = read_response(plain)
    assert status == 308 and headers["location"] == f"https://{DOMAIN}/a/b?c=1"
    plain = socket.create_connection(("127.0.0.1", pebble.http_port), timeout=5)
    plain.sendall(f"GET /.well-known/acme-challenge/nope HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
    assert read_response(plain)[0] == 404
    assert proxy.stop() == 0

    # Restart: the stored certificate is served, no new order.
    proxy = acme_proxy(wproxy, pebble, upstream, storage)
    proxy.wait_for_output(lambda l: "using the stored certificate" in l, stream="stderr")
    sock = verified(proxy.port, pebble.root)
    assert peer_fingerprint(sock) == first
    sock.close()
    time.sleep(1)
    assert not any("ordering a certificate" in l for l in proxy.stderr_lines)
    assert proxy.stop() == 0

    # Forced renewal: the stored certificate first, then the new one swapped in without a restart;
    # a connection opened before the swap keeps working.
    proxy = acme_proxy(wproxy, pebble, upstream, storage, "--acme-renew-now")
    kept = verified(proxy.port, pebble.root)
    assert http_get(kept, "/status", host=DOMAIN)[0] == 200
    proxy.wait_for_output(lambda l: "new certificate for wproxy.test installed" in l, stream="stderr", timeout=60)
    sock = verified(proxy.port, pebble.root)
    second = peer_fingerprint(sock)
    assert second != first
    assert http_get(sock, "/status", host=DOMAIN)[0] == 200
    assert http_get(kept, "/status", host=DOMAIN)[0] == 200
    assert proxy.proc.poll() is None


def test_acme_failure_keeps_serving_the_placeholder(wproxy, pebble, upstream, tmp_path):
    # No --redirect-http: Pebble cannot validate HTTP-01, the order fails with its problem document,
    # and the listener keeps serving a self-signed placeholder.
    proxy = acme_proxy(wproxy, pebble, upstream, str(tmp_path / "acme"), redirect=False)
    line = proxy.wait_for_output(lambda l: "certificate order failed" in l, stream="stderr", timeout=60)
    assert "urn:ietf:params:acme:error" in line, line
    sock = tls_connect(proxy.port, server_name=DOMAIN)
    der = sock.getpeercert(binary_form=True)
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-issuer"], input=der,
                          capture_output=True, timeout=10).stdout.decode()
    assert "wproxy self-signed" in text
    assert http_get(sock, "/status", host=DOMAIN)[0] == 200


def test_acme_tls_alpn_01_on_the_tls_listener(wproxy, pebble, upstream, tmp_path):
    # No --redirect-http: the challenge is answered on the TLS listener itself (RFC 8737), which
    # must then be where the CA connects (Pebble's tlsPort, port 443 in production).
    proxy = acme_proxy(wproxy, pebble, upstream, str(tmp_path / "acme"), redirect=False,
                       listen=f"127.0.0.1:{pebble.tls_port}")
    proxy.wait_for_output(lambda l: "answering the tls-alpn-01 challenge" in l, stream="stderr", timeout=30)
    proxy.wait_for_output(lambda l: "new certificate for wproxy.test installed" in l, stream="stderr", timeout=60)
    sock = verified(proxy.port, pebble.root)
    assert http_get(sock, "/status", host=DOMAIN)[0] == 200
    assert sock.selected_alpn_protocol() is None
    # An ordinary client offering acme-tls/1 with no challenge pending gets the normal certificate.
    context = ssl.create_default_context(cafile=pebble.root)
    context.set_alpn_protocols(["acme-tls/1", "http/1.1"])
    other = context.wrap_socket(socket.create_connection(("127.0.0.1", proxy.port), timeout=5), server_hostname=DOMAIN)
    assert other.selected_alpn_protocol() == "http/1.1"
    other.close()
