"""Reverse listeners from the config file: virtual hosts (`[[listeners.sites]]`) and path routes
(`[[listeners.sites.routes]]`) with the real binary, Python origins, and SIGHUP reloads."""
import json
import os
import signal
import socket
import threading
import time

import pytest

from conftest import connect, free_port, run_wproxy, wait_until
from origin import Origin, ws_frame
from test_reverse import read_response


@pytest.fixture
def origins():
    made = []

    def make(name="origin"):
        origin = Origin(name)
        made.append(origin)
        return origin

    yield make
    for origin in made:
        try:
            origin.close()
        except OSError:
            pass


def write(path, text):
    tmp = str(path) + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def get(port, path="/", host="example.test", headers=None, sock=None):
    """One GET; on `sock` it keeps the connection open, else it opens and closes one."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode()
    if sock is not None:
        sock.sendall(data)
        return read_response(sock)
    with connect(port) as own:
        own.sendall(data)
        return read_response(own)


def reload(proxy):
    before = sum("configuration reloaded" in l or "reload failed" in l for l in proxy.stderr_lines)
    proxy.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: sum("configuration reloaded" in l or "reload failed" in l
                                  for l in proxy.stderr_lines) > before, timeout=10)
    assert "configuration reloaded" in [l for l in proxy.stderr_lines if "configuration reloaded" in l
                                        or "reload failed" in l][-1]


def sites_config(port, a, b, c, public):
    return f'''
[[listeners]]
mode = "reverse"
listen = ["127.0.0.1:{port}"]

  [[listeners.sites]]
  hosts = ["app.example.test"]

    [[listeners.sites.routes]]
    path = "/"
    upstream = ["{a.url}"]

    [[listeners.sites.routes]]
    path = "/api/"
    upstream = ["{b.url}"]
    strip_prefix = true
    request_headers = {{ add = {{ "X-Route" = "api" }}, remove = ["X-Secret"] }}
    response_headers = {{ add = {{ "X-Served-By" = "wproxy" }}, remove = ["X-Origin"] }}

    [[listeners.sites.routes]]
    path = "/files"
    static = "{public}"
    strip_prefix = true

  [[listeners.sites]]
  hosts = ["*.example.test"]

    [[listeners.sites.routes]]
    path = "/"
    upstream = ["{c.url}"]

  [[listeners.sites]]
  hosts = ["exact.other.test"]

    [[listeners.sites.routes]]
    path = "/"
    static = "{public}"
'''


@pytest.fixture
def site_setup(wproxy, origins, tmp_path):
    a, b, c = origins("a"), origins("b"), origins("c")
    public = tmp_path / "public"
    public.mkdir()
    (public / "hello.txt").write_text("hello from disk\n")
    (public / "index.html").write_text("<h1>index</h1>\n")
    port = free_port()
    path = tmp_path / "sites.toml"
    write(path, sites_config(port, a, b, c, public))
    check = run_wproxy("check", "--config", str(path))
    assert check.returncode == 0, check.stderr
    proxy = wproxy("run", "--config", str(path))
    return proxy, port, (a, b, c), path, public


def test_virtual_hosts_exact_wildcard_and_no_default(site_setup):
    proxy, port, (a, b, c), _, _ = site_setup
    assert get(port, "/name", host="app.example.test")[2] == b"a"
    assert get(port, "/name", host="APP.example.test:8080")[2] == b"a"  # case and port ignored
    assert get(port, "/name", host="x.example.test")[2] == b"c"
    assert get(port, "/name", host="deep.x.example.test")[2] == b"c"
    status, headers, body, _ = get(port, "/name", host="example.test")  # the bare domain is not *.example.test
    assert status == 404 and b"no site" in body and headers["content-type"].startswith("text/plain")
    assert get(port, "/", host="nowhere.test")[0] == 404
    status, _, body, _ = get(port, "/hello.txt", host="exact.other.test")
    assert status == 200 and body == b"hello from disk\n"


def test_longest_prefix_strip_prefix_and_header_edits(site_setup):
    proxy, port, (a, b, c), _, _ = site_setup
    status, headers, body, _ = get(port, "/api/echo?x=1", host="app.example.test",
                                   headers={"X-Secret": "s3cret", "X-Route": "client-value", "X-Keep": "1"})
    assert status == 200
    echoed = json.loads(body)
    assert echoed["path"] == "/echo?x=1"  # /api/ stripped, query kept
    sent = {k.lower(): v for k, v in echoed["headers"]}
    assert sent["x-route"] == "api" and "x-secret" not in sent and sent["x-keep"] == "1"
    assert [k.lower() for k, _ in echoed["headers"]].count("x-route") == 1
    assert headers["x-served-by"] == "wproxy" and "x-origin" not in headers
    # /api (no slash) is not under /api/: the "/" route (origin a) takes it, unstripped.
    assert get(port, "/api", host="app.example.test")[2] == b"a"
    assert get(port, "/apix/name", host="app.example.test")[2] == b"a"
    assert a.requests[-1][1] == "/apix/name"
    # The "/" route passes headers through untouched.
    status, headers, _, _ = get(port, "/name", host="app.example.test")
    assert headers["x-origin"] == "a" and "x-served-by" not in headers


def test_static_route_with_strip_prefix(site_setup):
    proxy, port, (a, b, c), _, _ = site_setup
    status, _, body, _ = get(port, "/files/hello.txt", host="app.example.test")
    assert status == 200 and body == b"hello from disk\n"
    status, _, body, _ = get(port, "/files", host="app.example.test")
    assert status == 200 and body == b"<h1>index</h1>\n"
    # A static-only route: a missing file is 404, not proxied.
    assert get(port, "/files/missing.txt", host="app.example.test")[0] == 404
    assert not any(path.startswith("/files") for _, path, _ in a.requests)


def test_sighup_switches_a_routes_upstream_under_keep_alive_load(site_setup, origins):
    proxy, port, (a, b, c), path, public = site_setup
    d = origins("d")
    failures, seen = [], []
    stop = threading.Event()
    lock = threading.Lock()

    def load():
        deadline = time.monotonic() + 30
        sock = None
        count = 0
        uses = 0
        while not stop.is_set() and time.monotonic() < deadline and count < 5000:
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                    uses = 0
                status, headers, body, _ = get(port, "/api/name", host="app.example.test", sock=sock)
                uses += 1
                if status != 200 or body not in (b"b", b"d"):
                    failures.append((status, body))
                with lock:
                    seen.append(body)
                count += 1
                # Keep-alive connections keep the routing table they started with (a reload leaves
                # them untouched); each one is retired after 20 requests so new ones see the new table.
                if headers.get("connection", "").lower() == "close" or uses >= 20:
                    sock.close()
                    sock = None
            except OSError as error:
                failures.append(repr(error))
                sock = None
        if sock is not None:
            sock.close()

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(0.4)
    for upstream in (d, b, d):
        text = sites_config(port, a, b, c, public).replace(f'upstream = ["{b.url}"]', f'upstream = ["{upstream.url}"]')
        write(path, text)
        reload(proxy)
        time.sleep(0.4)
    stop.set()
    for worker in workers:
        worker.join(40)
    assert failures == []
    assert len(seen) > 50
    assert b"d" in seen and b"b" in seen
    # After the last reload new requests go to d only.
    assert all(get(port, "/api/name", host="app.example.test")[2] == b"d" for _ in range(5))
    # The other routes were untouched.
    assert get(port, "/name", host="x.example.test")[2] == b"c"


def test_open_websocket_survives_a_reload(site_setup):
    proxy, port, (a, b, c), path, public = site_setup
    with connect(port) as sock:
        sock.sendall(b"GET /api/ws HTTP/1.1\r\nHost: app.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        status, headers, _, rest = read_response(sock)
        assert status == 101 and headers["x-served-by"] == "wproxy"
        assert b.requests[-1][1] == "/ws"
        text = sites_config(port, a, b, c, public).replace('path = "/api/"', 'path = "/v2/"')
        write(path, text)
        reload(proxy)
        got = rest
        sock.sendall(ws_frame(b"after reload"))
        want = ws_frame(b"after reload", masked=False)
        sock.settimeout(10)
        while len(got) < len(want):
            chunk = sock.recv(65536)
            assert chunk
            got += chunk
        assert got == want
    # The new table is in force: /api/ is gone (falls to "/"), /v2/ strips.
    assert get(port, "/api/name", host="app.example.test")[2] == b"a"
    assert json.loads(get(port, "/v2/echo", host="app.example.test")[2])["path"] == "/echo"


def test_invalid_sites_file_on_sighup_keeps_routes(site_setup):
    proxy, port, (a, b, c), path, public = site_setup
    write(path, sites_config(port, a, b, c, public).replace('path = "/api/"', 'path = "api/"'))
    proxy.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: any("reload failed" in l for l in proxy.stderr_lines), timeout=10)
    assert any("must start with '/'" in l for l in proxy.stderr_lines)
    assert json.loads(get(port, "/api/echo", host="app.example.test")[2])["path"] == "/echo"


def test_per_route_retries_and_health_check(wproxy, origins, tmp_path):
    good = origins("good")
    dead_port = free_port()
    port = free_port()
    path = tmp_path / "retry.toml"
    write(path, f'''
[[listeners]]
mode = "reverse"
listen = ["127.0.0.1:{port}"]
retries = 0

  [[listeners.sites]]
    [[listeners.sites.routes]]
    path = "/retry/"
    upstream = ["http://127.0.0.1:{dead_port}", "{good.url}"]
    retries = 2
    health_check = {{ path = "/health", interval = "200ms" }}

    [[listeners.sites.routes]]
    path = "/"
    upstream = ["http://127.0.0.1:{dead_port}"]
    upstream_timeout = "2s"
''')
    proxy = wproxy("run", "--config", str(path))
    # Every request under /retry/ succeeds: a refused connect is retried on the other upstream.
    assert all(get(port, "/retry/name")[2] == b"good" for _ in range(6))
    # The "/" route has retries = 0 (listener default) and a dead upstream: 502.
    assert get(port, "/name")[0] == 502


def test_check_reports_site_errors_with_lines(tmp_path):
    path = tmp_path / "bad.toml"
    write(path, '''[[listeners]]
mode = "reverse"
listen = ["127.0.0.1:1"]

  [[listeners.sites]]
  hosts = ["a.test", "bad host"]

    [[listeners.sites.routes]]
    path = "/"

    [[listeners.sites.routes]]
    path = "nope"
    upstream = ["http://127.0.0.1:2"]

    [[listeners.sites.routes]]
    path = "/"
    upstream = ["http://127.0.0.1:2"]
    colour = "blue"
''')
    result = run_wproxy("check", "--config", str(path))
    assert result.returncode == 1
    err = result.stderr
    assert f"{path}:6: listeners[1].sites[1].hosts: 'bad host' is not a host name" in err
    assert f"{path}:8: listeners[1].sites[1].routes[1]: route /: needs upstream or static" in err
    assert f"{path}:12: listeners[1].sites[1].routes[2].path: must start with '/', not 'nope'" in err
    assert f"{path}:16: listeners[1].sites[1].routes[3].path: '/' is already the path of route 1 of this site" in err
    assert f"{path}:18: listeners[1].sites[1].routes[3].colour: unknown key" in err
