"""Helpers for driving the real wproxy binary over loopback.

Every server here binds 127.0.0.1:0, every wait is bounded, and every process is killed at the end.
"""
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LISTENING = re.compile(r"listening on (\S+):(\d+) \((\w+)\)")


def wproxy_binary():
    path = os.environ.get("WPROXY_BIN") or os.path.join(ROOT, ".build", "debug", "wproxy")
    if not os.path.exists(path):
        pytest.fail(f"wproxy binary not found at {path}: run `swift build` first or set WPROXY_BIN")
    return path


class WProxy:
    """A running wproxy process; stderr and stdout are collected by background threads."""

    def __init__(self, args, expect_listeners=1, timeout=20):
        self.args = [wproxy_binary()] + list(args)
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        self.stdout_lines = []
        self.ports = []
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_lines), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout_lines), daemon=True).start()
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.ports) < expect_listeners:
                if self.proc.poll() is not None:
                    self._cond.wait(0.2)
                    raise RuntimeError(f"wproxy exited with {self.proc.returncode}: {''.join(self.stderr_lines)}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"wproxy did not start: {''.join(self.stderr_lines)}")
                self._cond.wait(min(remaining, 0.2))
        self.port = self.ports[0]

    def _pump(self, stream, lines):
        for line in stream:
            with self._cond:
                lines.append(line)
                if stream is self.proc.stderr:
                    match = LISTENING.search(line)
                    if match:
                        self.ports.append(int(match.group(2)))
                self._cond.notify_all()

    def wait_for_output(self, predicate, timeout=10, stream="stdout"):
        """Waits until a collected line satisfies predicate; returns that line."""
        lines = self.stdout_lines if stream == "stdout" else self.stderr_lines
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in lines:
                    if predicate(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching {stream} line; have: {''.join(lines)[-3000:]}")
                self._cond.wait(min(remaining, 0.2))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


@pytest.fixture
def wproxy():
    started = []

    def start(*args, **kwargs):
        proxy = WProxy(args, **kwargs)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        if proxy.proc.poll() is None:
            proxy.proc.kill()
            proxy.proc.wait()


def run_wproxy(*args, timeout=20):
    """Runs wproxy to completion (for --help, check, bad flags)."""
    return subprocess.run([wproxy_binary()] + list(args), capture_output=True, text=True, timeout=timeout)


class TCPServer:
    """A threaded loopback TCP server; `handler(conn)` runs per connection in its own thread."""

    def __init__(self, handler, port=0):
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.connections = []
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self):
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            self.handler(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self._closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def echo_handler(conn):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


def name_handler(name):
    """Replies with its name and closes (identifies which upstream served a connection)."""
    def handler(conn):
        conn.sendall(name.encode())
    return handler


@pytest.fixture
def servers():
    made = []

    def make(handler, port=0):
        server = TCPServer(handler, port)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recv_all(sock, timeout=10):
    sock.settimeout(timeout)
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def connect(port, timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def wait_until(predicate, timeout=10, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def recording_server(servers):
    """A TCP server that stores everything one connection sends, up to its EOF, in got["data"]."""
    got = {}

    def record(conn):
        got["data"] = recv_all(conn)

    return servers(record), got


def _slow_socks5_hop(delay):
    """A SOCKS5 server (no auth, CONNECT by IPv4) that waits `delay` seconds before connecting:
    the proxy's dial through it is still running when the client has already sent and shut down."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve(conn):
        with conn:
            conn.settimeout(10)
            conn.recv(3)
            conn.sendall(b"\x05\x00")
            request = conn.recv(10)
            host, port = socket.inet_ntoa(request[4:8]), int.from_bytes(request[8:10], "big")
            time.sleep(delay)
            upstream = socket.create_connection((host, port), timeout=10)
            conn.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + b"\x00\x00")
            pipe(conn, upstream)

    def pipe(a, b):
        def copy(src, dst):
            try:
                while chunk := src.recv(65536):
                    dst.sendall(chunk)
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        other = threading.Thread(target=copy, args=(b, a), daemon=True)
        other.start()
        copy(a, b)
        other.join(10)
        b.close()

    def accept_loop():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return listener


@pytest.fixture
def slow_socks5_hop():
    """The port of a SOCKS5 hop that takes 0.5 s to connect (see `_slow_socks5_hop`)."""
    listener = _slow_socks5_hop(0.5)
    yield listener.getsockname()[1]
    listener.close()
