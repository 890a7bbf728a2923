"""`wproxy run --config` and `wproxy check`: files, errors with file:line, SIGHUP and --watch reloads."""
import glob
import os
import signal
import socket
import threading
import time

from conftest import ROOT, connect, echo_handler, free_port, name_handler, recv_all, run_wproxy, wait_until


def write(path, text):
    tmp = str(path) + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # atomic, as editors and config managers do


def tcp_listener(port, *upstreams, extra=""):
    ups = ", ".join(f'"127.0.0.1:{u}"' for u in upstreams)
    return f'[[listeners]]\nmode = "tcp"\nlisten = ["127.0.0.1:{port}"]\nupstream = [{ups}]\n{extra}\n'


def test_check_valid_file_prints_a_summary(tmp_path):
    path = tmp_path / "ok.toml"
    write(path, "[global]\nworkers = 1\n\n" + tcp_listener(7001, 9001, 9002, extra='lb = "least-conn"'))
    result = run_wproxy("check", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert "OK, 1 listener" in result.stdout
    assert "tcp on 127.0.0.1:7001 -> 127.0.0.1:9001, 127.0.0.1:9002 (least-conn)" in result.stdout


def test_check_reports_every_error_with_file_and_line(tmp_path):
    path = tmp_path / "bad.toml"
    write(path, '[global]\nworkers = "many"\n\n[[listeners]]\nmode = "tcp"\nlisten = ["127.0.0.1:1"]\n'
                'upstream = ["127.0.0.1:2"]\ncolour = "red"\n\n[[listeners]]\nmode = "tcp"\nlisten = ["127.0.0.1:1"]\n')
    result = run_wproxy("check", "--config", str(path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert f"{path}:2: global.workers: expected a whole number, got string" in lines
    assert f"{path}:8: listeners[1].colour: unknown key" in lines
    assert "Fatal error" not in result.stderr


def test_check_missing_file(tmp_path):
    result = run_wproxy("check", "--config", str(tmp_path / "absent.toml"))
    assert result.returncode == 1
    assert "absent.toml" in result.stderr and "No such file" in result.stderr


def test_run_with_two_listeners(wproxy, servers, tmp_path):
    a, b = servers(name_handler("a")), servers(name_handler("b"))
    path = tmp_path / "two.toml"
    write(path, tcp_listener(0, a.port) + tcp_listener(0, b.port).replace('"127.0.0.1:0"', '"127.0.0.2:0"'))
    proxy = wproxy("run", "--config", str(path), expect_listeners=2)
    with connect(proxy.ports[0]) as client:
        assert recv_all(client) == b"a"
    with socket.create_connection(("127.0.0.2", proxy.ports[1]), timeout=5) as client:
        assert recv_all(client) == b"b"


def reload_and_wait(proxy, count_before):
    proxy.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: sum("configuration reloaded" in l or "reload failed" in l
                                  for l in proxy.stderr_lines) > count_before, timeout=10)


def reload_count(proxy):
    return sum("configuration reloaded" in l or "reload failed" in l for l in proxy.stderr_lines)


def test_sighup_switches_the_upstream_and_keeps_open_tunnels(wproxy, servers, tmp_path):
    a, b = servers(name_handler("a")), servers(name_handler("b"))
    echo = servers(echo_handler)
    port = free_port()
    path = tmp_path / "switch.toml"
    write(path, tcp_listener(port, a.port) + tcp_listener(0, echo.port).replace('"127.0.0.1:0"', '"127.0.0.3:0"'))
    proxy = wproxy("run", "--config", str(path), expect_listeners=2)
    with connect(port) as client:
        assert recv_all(client) == b"a"
    tunnel = socket.create_connection(("127.0.0.3", proxy.ports[1]), timeout=5)
    tunnel.sendall(b"before")
    assert tunnel.recv(10) == b"before"

    write(path, tcp_listener(port, b.port) + tcp_listener(0, echo.port).replace('"127.0.0.1:0"', '"127.0.0.3:0"'))
    reload_and_wait(proxy, reload_count(proxy))
    with connect(port) as client:
        assert recv_all(client) == b"b"
    tunnel.sendall(b"after")
    assert tunnel.recv(10) == b"after", "a tunnel open across the reload keeps working"
    tunnel.close()


def test_invalid_file_on_sighup_keeps_the_running_configuration(wproxy, servers, tmp_path):
    a = servers(name_handler("a"))
    port = free_port()
    path = tmp_path / "keep.toml"
    write(path, tcp_listener(port, a.port))
    proxy = wproxy("run", "--config", str(path))
    write(path, tcp_listener(port, a.port) + 'lb = "bogus"\n')
    reload_and_wait(proxy, reload_count(proxy))
    assert any("reload failed" in l for l in proxy.stderr_lines)
    assert any(f"{path}:6: listeners[1].lb" in l for l in proxy.stderr_lines)
    with connect(port) as client:
        assert recv_all(client) == b"a"


def test_listeners_added_and_removed_on_reload(wproxy, servers, tmp_path):
    a = servers(name_handler("a"))
    first, second = free_port(), free_port()
    path = tmp_path / "addremove.toml"
    write(path, tcp_listener(first, a.port))
    proxy = wproxy("run", "--config", str(path))
    write(path, tcp_listener(second, a.port))
    reload_and_wait(proxy, reload_count(proxy))
    with connect(second) as client:
        assert recv_all(client) == b"a"
    assert wait_until(lambda: _refused(first), timeout=5)


def _refused(port):
    try:
        connect(port, timeout=1).close()
        return False
    except OSError:
        return True


def test_three_reloads_under_continuous_load_fail_nothing(wproxy, servers, tmp_path):
    e1, e2 = servers(echo_handler), servers(echo_handler)
    port = free_port()
    path = tmp_path / "load.toml"
    write(path, tcp_listener(port, e1.port))
    proxy = wproxy("run", "--config", str(path))
    failures, done = [], [0]
    stop = threading.Event()

    def load():
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline and done[0] < 5000:
            try:
                with connect(port, timeout=5) as client:
                    client.sendall(b"ping")
                    if client.recv(10) != b"ping":
                        failures.append("bad reply")
                done[0] += 1
            except OSError as error:
                failures.append(repr(error))

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    for upstreams in ([e2.port], [e1.port, e2.port], [e1.port]):
        time.sleep(0.3)
        write(path, tcp_listener(port, *upstreams))
        reload_and_wait(proxy, reload_count(proxy))
    time.sleep(0.3)
    stop.set()
    for worker in workers:
        worker.join(40)
    assert sum("configuration reloaded" in l for l in proxy.stderr_lines) == 3
    assert failures == []
    assert done[0] > 50


def test_watch_reloads_when_the_file_changes(wproxy, servers, tmp_path):
    a, b = servers(name_handler("a")), servers(name_handler("b"))
    port = free_port()
    path = tmp_path / "watch.toml"
    write(path, tcp_listener(port, a.port))
    proxy = wproxy("run", "--config", str(path), "--watch")
    time.sleep(1.1)  # mtime granularity: make sure the rewrite is seen as a change
    write(path, tcp_listener(port, b.port))
    assert wait_until(lambda: any("configuration reloaded" in l for l in proxy.stderr_lines), timeout=10)
    with connect(port) as client:
        assert recv_all(client) == b"b"


def test_every_example_passes_check():
    examples = sorted(glob.glob(os.path.join(ROOT, "examples", "*.toml")))
    assert examples, "examples/ must hold at least one config"
    for example in examples:
        result = run_wproxy("check", "--config", example)
        assert result.returncode == 0, f"{example}: {result.stderr}"


def test_reload_keeps_health_state_of_unchanged_upstreams(wproxy, servers, tmp_path):
    live = servers(name_handler("live"))
    dead = free_port()
    port = free_port()
    path = tmp_path / "health.toml"
    checks = 'health_check = "tcp"\nhealth_interval = "200ms"\nretries = 0\n'
    write(path, tcp_listener(port, dead, live.port, extra=checks))
    proxy = wproxy("run", "--config", str(path))
    proxy.wait_for_output(lambda l: "out of rotation" in l, stream="stderr")
    # Same upstreams, probes now far apart: only the inherited state keeps the dead one out.
    write(path, tcp_listener(port, dead, live.port, extra=checks.replace("200ms", "1h") + "max_connections = 100\n"))
    reload_and_wait(proxy, reload_count(proxy))
    for _ in range(6):
        with connect(port) as client:
            assert recv_all(client) == b"live"


def socks5_connect(port, target_port, user=None, password=None):
    """A raw SOCKS5 CONNECT to 127.0.0.1:target_port; returns the socket, or raises on refusal."""
    import struct
    sock = connect(port)
    if user is None:
        sock.sendall(b"\x05\x01\x00")
        assert sock.recv(2) == b"\x05\x00"
    else:
        sock.sendall(b"\x05\x01\x02")
        assert sock.recv(2) == b"\x05\x02"
        sock.sendall(b"\x01" + bytes([len(user)]) + user.encode() + bytes([len(password)]) + password.encode())
        status = sock.recv(2)
        if status != b"\x01\x00":
            sock.close()
            raise PermissionError(f"auth refused: {status!r}")
    sock.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", target_port))
    reply = sock.recv(10)
    assert reply[:2] == b"\x05\x00", reply
    return sock


def socks_listener(port, users):
    auth = ", ".join(f'"{u}"' for u in users)
    return f'[[listeners]]\nmode = "socks"\nlisten = ["127.0.0.1:{port}"]\nauth = [{auth}]\n\n'


def test_socks_and_tcp_listeners_from_one_file_and_reloads_keep_a_socks_tunnel(wproxy, servers, tmp_path):
    echo = servers(echo_handler)
    socks_port, tcp_port = free_port(), free_port()
    path = tmp_path / "mixed.toml"
    write(path, socks_listener(socks_port, ["alice:one"]) + tcp_listener(tcp_port, echo.port))
    proxy = wproxy("run", "--config", str(path), expect_listeners=2)
    tunnel = socks5_connect(socks_port, echo.port, "alice", "one")
    tunnel.sendall(b"hello")
    assert tunnel.recv(10) == b"hello"
    with connect(tcp_port) as client:
        client.sendall(b"tcp")
        assert client.recv(10) == b"tcp"

    # Three reloads; the last one replaces alice's password and adds bob.
    for users in (["alice:one"], ["alice:one", "carol:x"], ["alice:two", "bob:three"]):
        write(path, socks_listener(socks_port, users) + tcp_listener(tcp_port, echo.port))
        reload_and_wait(proxy, reload_count(proxy))
        tunnel.sendall(b"still")
        assert tunnel.recv(10) == b"still", "the open SOCKS tunnel survives every reload"
    tunnel.close()
    try:
        socks5_connect(socks_port, echo.port, "alice", "one").close()
        raise AssertionError("the old password must no longer work")
    except PermissionError:
        pass
    with socks5_connect(socks_port, echo.port, "bob", "three") as fresh:
        fresh.sendall(b"bob")
        assert fresh.recv(10) == b"bob"


def test_open_proxy_in_a_config_file_is_refused(tmp_path):
    path = tmp_path / "open.toml"
    write(path, '[[listeners]]\nmode = "socks"\nlisten = ["0.0.0.0:1080"]\n')
    result = run_wproxy("check", "--config", str(path))
    assert result.returncode == 1
    assert f"{path}:1: listener 1 (socks): refusing to run an open proxy on 0.0.0.0:1080" in result.stderr
