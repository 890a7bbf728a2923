"""A small HTTP/1.1 origin for reverse-proxy tests: keep-alive, counted connections, streaming
responses (chunked, SSE), body sinks, WebSocket echo. Loopback only; every wait is bounded."""
import base64
import hashlib
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        conn, addr = super().get_request()
        with self.origin.lock:
            self.origin.accepted += 1
            self.origin.connections.append(conn)
        return conn, addr


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    @property
    def origin(self):
        return self.server.origin

    def _send(self, status, body=b"", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Origin", self.origin.name)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self):
        """Reads a Content-Length or chunked body; returns (length, sha256 hex)."""
        digest = hashlib.sha256()
        total = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                remaining = size
                while remaining:
                    chunk = self.rfile.read(min(remaining, 1 << 16))
                    digest.update(chunk)
                    total += len(chunk)
                    remaining -= len(chunk)
                self.rfile.readline()
        else:
            remaining = int(self.headers.get("Content-Length", "0"))
            while remaining:
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                digest.update(chunk)
                total += len(chunk)
                remaining -= len(chunk)
        return total, digest.hexdigest()

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self.origin.record(self)
        url = urlparse(self.path)
        if self.origin.reset_all or url.path == "/reset":
            self._read_body()
            self._reset()
            return
        if url.path == "/early":
            # Answers before reading the body, as an origin rejecting an upload would.
            self._send(403, "no", {"Connection": "close"})
            self.close_connection = True
            return
        length, sha = self._read_body()
        self._send(200, json.dumps({"length": length, "sha256": sha, "method": self.command}),
                   {"Content-Type": "application/json"})

    do_PUT = do_POST
    do_PATCH = do_POST

    def do_DELETE(self):
        self.do_GET()

    def _reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def do_GET(self):
        self.origin.record(self)
        if self.origin.reset_all:
            self._reset()
            return
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/health":
            self._send(self.origin.health_status, "health")
        elif path == "/echo":
            body = json.dumps({
                "method": self.command, "path": self.path, "version": self.request_version,
                "headers": [[k, v] for k, v in self.headers.items()],
            })
            self._send(200, body, {"Content-Type": "application/json"})
        elif path == "/sleep":
            time.sleep(float(query.get("ms", "1000")) / 1000)
            self._send(200, self.origin.name)
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("X-Origin", self.origin.name)
            self.end_headers()
            for i in range(int(query.get("n", "3"))):
                data = f"chunk{i};".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/sse":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()
            for i in range(int(query.get("n", "4"))):
                self.wfile.write(f"data: event {i} at {time.monotonic():.3f}\n\n".encode())
                self.wfile.flush()
                time.sleep(float(query.get("gap", "300")) / 1000)
            self.close_connection = True
        elif path == "/big":
            # n bytes of a repeating pattern, written in 64 KB pieces (a large response).
            size = int(query.get("n", str(1 << 20)))
            pattern = bytes(range(256)) * 256
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            while size > 0:
                piece = pattern[:min(size, len(pattern))]
                self.wfile.write(piece)
                size -= len(piece)
        elif path == "/ws":
            self._websocket()
        elif path == "/status":
            self._send(int(query.get("code", "200")), "status")
        elif path == "/reset":
            self._reset()  # closes without answering (a crash mid-request)
        elif path == "/bad-framing":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")
            self.close_connection = True
        else:
            self._send(200, self.origin.name, {"Content-Type": "text/plain"})

    def _websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        reader = self.rfile
        while True:
            header = reader.read(2)
            if len(header) < 2:
                return
            opcode = header[0] & 0x0F
            length = header[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", reader.read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", reader.read(8))[0]
            mask = reader.read(4) if header[1] & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.read(length)))
            if opcode == 8:
                self.wfile.write(b"\x88\x00")
                return
            self.wfile.write(ws_frame(payload, opcode=opcode, masked=False))
            self.wfile.flush()


def ws_frame(payload, opcode=1, masked=True):
    head = bytes([0x80 | opcode])
    mask_bit = 0x80 if masked else 0
    if len(payload) < 126:
        head += bytes([mask_bit | len(payload)])
    elif len(payload) < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", len(payload))
    if not masked:
        return head + payload
    mask = b"\x01\x02\x03\x04"
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Origin:
    def __init__(self, name="origin", port=0):
        self.name = name
        self.lock = threading.Lock()
        self.accepted = 0
        self.requests = []
        self.connections = []
        self.health_status = 200
        self.reset_all = False
        self.server = _Server(("127.0.0.1", port), Handler)
        self.server.origin = self
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def record(self, handler):
        with self.lock:
            self.requests.append((handler.command, handler.path, dict(handler.headers.items())))

    def close(self):
        """Stops listening and drops every open connection (the origin is down)."""
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for conn in self.connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
