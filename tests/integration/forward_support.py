"""Origins and helpers for the forward-proxy and chaining tests (loopback only, bounded waits)."""
import http.server
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time

import pytest


class CountingHTTPServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP/1.1 origin that counts accepted connections."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.accepted = 0
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def get_request(self):
        request = super().get_request()
        self.accepted += 1
        return request

    def close(self):
        self.shutdown()
        self.server_close()


class OriginHandler(http.server.BaseHTTPRequestHandler):
    """GET /echo-headers returns the request headers; POST /echo returns the body's length and
    sha-like digest; /chunked streams chunks; /slow-first waits for an event between chunks."""
    protocol_version = "HTTP/1.1"
    release = None  # threading.Event set by a test to let /hold finish

    def log_message(self, *args):
        pass

    def _send(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self._send(200, b"x" * 10)

    def do_GET(self):
        if self.path == "/echo-headers":
            body = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
            body += f"REQUEST-LINE: {self.requestline}\n".encode()
            self._send(200, body)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first;", b"second;", b"third"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/hold":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b"data: one\n\n"), b"data: one\n\n"))
            self.wfile.flush()
            type(self).release.wait(10)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b"data: two\n\n"), b"data: two\n\n"))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/nocontent":
            self.send_response(204)
            self.end_headers()
        elif self.path == "/close-delimited":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until-close")
            self.close_connection = True
        else:
            self._send(200, b"hello from origin " + self.path.encode())

    def do_POST(self):
        total = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                remaining = size
                while remaining:
                    got = len(self.rfile.read(min(remaining, 1 << 16)))
                    remaining -= got
                    total += got
                self.rfile.readline()
        else:
            remaining = int(self.headers.get("Content-Length", "0"))
            while remaining:
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
                total += len(chunk)
        self._send(200, f"received {total}".encode())

    do_PUT = do_POST


@pytest.fixture
def origin():
    made = []

    def make(handler=OriginHandler):
        server = CountingHTTPServer(handler)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def make_cert(directory):
    key = os.path.join(directory, "key.pem")
    cert = os.path.join(directory, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60)
    return cert, key


class TLSOrigin:
    """An HTTPS origin (python ssl) with a certificate made by openssl at test time."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="wproxy-tls-")
        self.cert, key = make_cert(self.dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server = CountingHTTPServer(OriginHandler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.port

    def close(self):
        self.server.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def proxy_request(port, raw, timeout=10):
    """Sends raw bytes to the proxy and returns everything until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        sock.settimeout(timeout)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
        return data


def status_of(response):
    return int(response.split(b" ", 2)[1])


def curl(*args, timeout=30):
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout - 5)] + list(args),
                          capture_output=True, timeout=timeout)


def start_tinyproxy(port, extra=""):
    """tinyproxy in the foreground on 127.0.0.1:port; returns the Popen. Skips when not installed."""
    if not shutil.which("tinyproxy"):
        pytest.skip("tinyproxy is not installed (scripts/setup installs it)")
    directory = tempfile.mkdtemp(prefix="wproxy-tinyproxy-")
    config = os.path.join(directory, "tinyproxy.conf")
    with open(config, "w") as f:
        f.write(f"Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nLogLevel Critical\n"
                f"Allow 127.0.0.1\n{extra}\n")
    proc = subprocess.Popen(["tinyproxy", "-d", "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def start_microsocks(port, user=None, password=None):
    if not shutil.which("microsocks"):
        pytest.skip("microsocks is not installed (scripts/setup installs it)")
    args = ["microsocks", "-i", "127.0.0.1", "-p", str(port)]
    if user:
        args += ["-u", user, "-P", password]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port}")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
