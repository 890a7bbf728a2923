"""Helpers for TLS tests: certificates made with openssl at test time, an HTTPS origin, TLS clients,
and a minimal raw HTTP/2 frame client for the flood and stream-limit checks. Loopback only."""
import hashlib
import os
import socket
import ssl
import struct
import subprocess
import threading
from http.server import ThreadingHTTPServer

from origin import Handler, _Server


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(directory, name="Test CA"):
    """A self-signed CA (ca.pem, ca.key) in directory."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=directory)
    return os.path.join(directory, "ca.pem")


def make_cert(directory, stem, sans, cn=None, rsa=False, ca=True):
    """stem.pem (leaf + CA chain when ca) and stem.key with the given subjectAltNames ("DNS:x", "IP:y")."""
    key_args = ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    cn = cn or sans[0].split(":", 1)[1]
    ext = os.path.join(directory, f"{stem}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={','.join(sans)}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    if ca:
        openssl("req", "-new", *key_args, "-nodes", "-keyout", f"{stem}.key", "-out", f"{stem}.csr", "-subj", f"/CN={cn}",
                cwd=directory)
        openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{stem}.leaf.pem", "-days", "30", "-extfile", ext, cwd=directory)
        with open(os.path.join(directory, f"{stem}.pem"), "w") as out:
            out.write(open(os.path.join(directory, f"{stem}.leaf.pem")).read())
            out.write(open(os.path.join(directory, "ca.pem")).read())
    else:
        openssl("req", "-x509", *key_args, "-nodes", "-keyout", f"{stem}.key", "-out", f"{stem}.pem", "-days", "30",
                "-subj", f"/CN={cn}", "-addext", f"subjectAltName={','.join(sans)}", cwd=directory)
    return os.path.join(directory, f"{stem}.pem"), os.path.join(directory, f"{stem}.key")


def client_context(cafile=None, version=None, alpn=None):
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    if version is not None:
        context.minimum_version = version
        context.maximum_version = version
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def tls_connect(port, server_name=None, cafile=None, version=None, alpn=None, timeout=10):
    context = client_context(cafile, version, alpn)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return context.wrap_socket(raw, server_hostname=server_name)


def peer_common_name(sock):
    der = sock.getpeercert(binary_form=True)
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"], input=der,
                          capture_output=True, timeout=10).stdout.decode()
    return text.strip().split("CN", 1)[1].lstrip(" =")


def peer_fingerprint(sock):
    digest = hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def http_get(sock, path="/echo", host="x", close=False):
    """One HTTP/1.1 GET on an open (TLS) socket; returns (status, headers, body)."""
    from test_reverse import read_response
    conn = "Connection: close\r\n" if close else ""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{conn}\r\n".encode())
    status, headers, body, _ = read_response(sock)
    return status, headers, body


class BigHandler(Handler):
    """The test origin plus `/bytes?n=N`: N deterministic bytes (Content-Length), and SNI recording."""

    def do_GET(self):
        if self.path.startswith("/bytes"):
            self.origin.record(self)
            n = int(self.path.split("n=", 1)[1])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = bytes(range(256)) * 256
            sent = 0
            while sent < n:
                piece = block[: min(len(block), n - sent)]
                self.wfile.write(piece)
                sent += len(piece)
            return
        super().do_GET()


def expected_bytes_sha256(n):
    block = bytes(range(256)) * 256
    digest = hashlib.sha256()
    sent = 0
    while sent < n:
        piece = block[: min(len(block), n - sent)]
        digest.update(piece)
        sent += len(piece)
    return digest.hexdigest()


class TLSOrigin:
    """The test origin (with /bytes), behind TLS when given a certificate (for https:// upstreams);
    records the SNI names it was asked for."""

    def __init__(self, cert=None, key=None, name="tls-origin"):
        from origin import Origin
        self.name = name
        self.lock = threading.Lock()
        self.accepted = 0
        self.requests = []
        self.connections = []
        self.health_status = 200
        self.reset_all = False
        self.server_names = []
        self.server = _Server(("127.0.0.1", 0), BigHandler)
        if cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.origin = self
        self.record = lambda handler: Origin.record(self, handler)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if cert else 'http'}://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --- a minimal raw HTTP/2 client (frames only; HPACK with literal fields, no Huffman) ---

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(name, value):
    """Literal header field without indexing, new name, no Huffman (RFC 7541 §6.2.2)."""
    def string(text):
        data = text.encode()
        assert len(data) < 127
        return bytes([len(data)]) + data
    return b"\x00" + string(name) + string(value)


def request_block(path="/echo", authority="localhost", method="GET"):
    return (hpack_literal(":method", method) + hpack_literal(":scheme", "https") + hpack_literal(":path", path)
            + hpack_literal(":authority", authority))


class RawH2:
    """Speaks raw HTTP/2 frames over TLS with ALPN h2."""

    def __init__(self, port, timeout=10):
        self.sock = tls_connect(port, server_name="localhost", alpn=["h2"], timeout=timeout)
        assert self.sock.selected_alpn_protocol() == "h2"
        self.buffer = b""
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
        self.settings = {}

    def read_frame(self):
        while len(self.buffer) < 9:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data
        length = struct.unpack(">I", b"\x00" + self.buffer[:3])[0]
        while len(self.buffer) < 9 + length:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data
        kind, flags = self.buffer[3], self.buffer[4]
        stream = struct.unpack(">I", self.buffer[5:9])[0] & 0x7FFFFFFF
        payload = self.buffer[9:9 + length]
        self.buffer = self.buffer[9 + length:]
        return kind, flags, stream, payload

    def handshake(self):
        """Reads the server's SETTINGS and acknowledges them (limits apply once acknowledged)."""
        while True:
            got = self.read_frame()
            assert got is not None, "closed during the HTTP/2 handshake"
            kind, flags, _, payload = got
            if kind == SETTINGS and not flags & ACK:
                for i in range(0, len(payload), 6):
                    key, value = struct.unpack(">HI", payload[i:i + 6])
                    self.settings[key] = value
                self.sock.sendall(frame(SETTINGS, ACK, 0))
                return self.settings

    def frames_until_closed(self, limit=100000):
        frames = []
        try:
            while len(frames) < limit:
                got = self.read_frame()
                if got is None:
                    break
                frames.append(got)
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass
        return frames


def goaway_code(frames):
    for kind, _, _, payload in frames:
        if kind == GOAWAY:
            return struct.unpack(">I", payload[4:8])[0]
    return None
