"""`wproxy transparent` and `--user` end to end, with real iptables rules in network namespaces.

Every namespace, veth pair and address here is created by the test and exists only inside those
namespaces (10.201.x.x and fd00:201::/48 live nowhere else); deleting the namespaces removes the
rules and links with them. Tests that need root, `ip netns`, iptables or a kernel feature print
why and skip where it is missing. No traffic leaves loopback or these namespaces.
"""
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from conftest import WProxy, connect, recv_all, run_wproxy, wproxy_binary

CLIENT_V4, ROUTER_C_V4, ROUTER_S_V4, SERVER_V4 = "10.201.1.2", "10.201.1.1", "10.201.2.1", "10.201.2.2"
CLIENT_V6, ROUTER_C_V6, ROUTER_S_V6, SERVER_V6 = "fd00:201:1::2", "fd00:201:1::1", "fd00:201:2::1", "fd00:201:2::2"
PROXY_PORT = 12345
_names = itertools.count()

# An HTTP/1.1 server on port 80 (IPv4 and, where possible, IPv6) whose body names the peer it saw.
HTTP_SERVER = r"""
import socket, sys, threading
def serve(sock):
    while True:
        conn, peer = sock.accept()
        def reply(conn=conn, peer=peer):
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                body = ("peer=" + peer[0]).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        threading.Thread(target=reply, daemon=True).start()
socks = []
for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, 80))
        s.listen(64)
        socks.append(s)
    except OSError as error:
        print("skip", host, error, file=sys.stderr, flush=True)
for s in socks:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""

# One HTTP GET with a Host header; prints the response body (or ERROR: reason) on stdout.
HTTP_GET = r"""
import socket, sys
host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(5)
    s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % name).encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    print(data.split(b"\r\n\r\n", 1)[-1].decode() if data else "ERROR: closed without a reply")
except OSError as error:
    print("ERROR:", error)
"""


def run(*args, check=True, timeout=20):
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def netns_exec(ns, *args, **kwargs):
    return run("ip", "netns", "exec", ns, *args, **kwargs)


def require_root_tools(*tools):
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces and iptables); CI runs as root")
    for tool in ("ip",) + tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/setup installs iproute2 and iptables)")


class Namespaces:
    """Network namespaces created for one test, and everything it starts inside them."""

    def __init__(self):
        self.names = []
        self.processes = []
        self.ipv6 = True

    def add(self, role):
        name = f"wpt{role}{os.getpid() % 100000}x{next(_names)}"
        result = run("ip", "netns", "add", name, check=False)
        if result.returncode != 0:
            pytest.skip(f"cannot create a network namespace: {result.stderr.strip()}")
        self.names.append(name)
        netns_exec(name, "ip", "link", "set", "lo", "up")
        return name

    def link(self, ns_a, if_a, addr_a, v6_a, ns_b, if_b, addr_b, v6_b):
        run("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b, "netns", ns_b)
        for ns, name, v4, v6 in ((ns_a, if_a, addr_a, v6_a), (ns_b, if_b, addr_b, v6_b)):
            netns_exec(ns, "ip", "addr", "add", f"{v4}/24", "dev", name)
            if self.ipv6 and netns_exec(ns, "ip", "-6", "addr", "add", f"{v6}/64", "dev", name, "nodad",
                                        check=False).returncode != 0:
                self.ipv6 = False
            netns_exec(ns, "ip", "link", "set", name, "up")

    def sysctl(self, ns, key, value):
        netns_exec(ns, "sh", "-c", f"echo {value} > /proc/sys/{key.replace('.', '/')}")

    def start(self, ns, *args):
        proc = subprocess.Popen(["ip", "netns", "exec", ns] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.processes.append(proc)
        return proc

    def close(self):
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for name in self.names:
            run("ip", "netns", "del", name, check=False)


@pytest.fixture
def netns():
    require_root_tools()
    spaces = Namespaces()
    try:
        yield spaces
    finally:
        spaces.close()


class Topology:
    """client --- router --- server: the client's default route goes through the router, where
    wproxy runs; the server answers HTTP on port 80 with the address of the peer it sees."""

    def __init__(self, spaces):
        self.spaces = spaces
        self.client = spaces.add("c")
        self.router = spaces.add("r")
        self.server = spaces.add("s")
        spaces.link(self.client, "eth0", CLIENT_V4, CLIENT_V6, self.router, "toclient", ROUTER_C_V4, ROUTER_C_V6)
        spaces.link(self.server, "eth0", SERVER_V4, SERVER_V6, self.router, "toserver", ROUTER_S_V4, ROUTER_S_V6)
        netns_exec(self.client, "ip", "route", "add", "default", "via", ROUTER_C_V4)
        netns_exec(self.server, "ip", "route", "add", "default", "via", ROUTER_S_V4)
        spaces.sysctl(self.router, "net.ipv4.ip_forward", 1)
        if spaces.ipv6:
            netns_exec(self.client, "ip", "-6", "route", "add", "default", "via", ROUTER_C_V6)
            netns_exec(self.server, "ip", "-6", "route", "add", "default", "via", ROUTER_S_V6)
            spaces.sysctl(self.router, "net.ipv6.conf.all.forwarding", 1)
        http = spaces.start(self.server, sys.executable, "-c", HTTP_SERVER)
        line = http.stdout.readline()
        assert line.strip() == "ready", http.stderr.read()

    def get(self, host, port=80, name="web.test"):
        return netns_exec(self.client, sys.executable, "-c", HTTP_GET, host, str(port), name).stdout.strip()


class NetnsWProxy(WProxy):
    """A wproxy process started inside a namespace (`ip netns exec` execs it, so the PID is wproxy's)."""

    def __init__(self, ns, args, expect_listeners=1, timeout=20):
        self.args = ["ip", "netns", "exec", ns, wproxy_binary()] + list(args)
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines, self.stdout_lines, self.ports = [], [], []
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

    def access_records(self):
        with self._cond:
            return [json.loads(line) for line in self.stdout_lines if line.startswith("{")]

    def wait_for_record(self, predicate, timeout=10):
        line = self.wait_for_output(lambda l: l.startswith("{") and predicate(json.loads(l)), timeout=timeout)
        return json.loads(line)


@pytest.fixture
def netns_wproxy():
    started = []

    def start(ns, *args, **kwargs):
        proxy = NetnsWProxy(ns, args, **kwargs)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def printed_rules(*args):
    result = run_wproxy("transparent", "--print-iptables", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def install_rules(ns, text, what):
    """Runs the printed commands inside `ns`; skips when the kernel lacks a needed module."""
    commands = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for command in commands:
        result = netns_exec(ns, "sh", "-c", command, check=False)
        if result.returncode != 0:
            pytest.skip(f"{what} not available here: `{command}` failed: {result.stderr.strip()}")
    return commands


def status_fields(pid, task=None):
    path = f"/proc/{pid}/task/{task}/status" if task else f"/proc/{pid}/status"
    fields = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return fields


def thread_capabilities(pid):
    caps = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = status_fields(pid, task)
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                caps[f"{f.read().strip()}#{task}"] = int(fields["CapEff"][0], 16)
        except FileNotFoundError:
            pass
    return caps


CAP_NET_ADMIN = 1 << 12


# --- REDIRECT ----------------------------------------------------------------------------------

def test_redirect_on_a_router_reaches_the_original_destination(netns, netns_wproxy):
    require_root_tools("iptables")
    net = Topology(netns)
    assert net.get(SERVER_V4) == f"peer={CLIENT_V4}", "direct routing through the router must work first"

    proxy = netns_wproxy(net.router, "transparent", "--listen", f":{PROXY_PORT}", "--sniff", "--log-format", "json")
    commands = install_rules(net.router, printed_rules("--ports", "80", "--listen", f":{PROXY_PORT}"), "nat REDIRECT")
    assert any("PREROUTING" in c and "REDIRECT --to-ports 12345" in c for c in commands)

    assert net.get(SERVER_V4) == f"peer={ROUTER_S_V4}", "the server must see wproxy (the router) as its peer"
    record = proxy.wait_for_record(lambda r: r["original_dst"] == f"{SERVER_V4}:80")
    assert record["mode"] == "transparent"
    assert record["client"].startswith(f"{CLIENT_V4}:")
    assert record["sniffed"] == "web.test"
    assert record["route"] == "direct"
    assert record["end"] == "closed"
    assert int(record["bytes_up"]) > 0 and int(record["bytes_down"]) > 0
    assert float(record["duration"]) >= 0

    # Loop protection: connecting to the proxy's own address is not a destination.
    assert net.get(ROUTER_C_V4, PROXY_PORT).startswith("ERROR")
    loop = proxy.wait_for_record(lambda r: r["end"] == "loop")
    assert loop["original_dst"] == f"{ROUTER_C_V4}:{PROXY_PORT}"
    proxy.wait_for_output(lambda l: "loop" in l and "warning" in l, stream="stderr")

    if not netns.ipv6:
        print("IPv6 part skipped: could not add IPv6 addresses in the namespaces")
        return
    assert net.get(SERVER_V6) == f"peer={ROUTER_S_V6}"
    record = proxy.wait_for_record(lambda r: r["original_dst"] == f"[{SERVER_V6}]:80")
    assert record["client"].startswith(f"[{CLIENT_V6}]:")
    assert record["sniffed"] == "web.test"


def test_redirect_ipv6_only_listener(netns, netns_wproxy):
    require_root_tools("ip6tables")
    net = Topology(netns)
    if not netns.ipv6:
        pytest.skip("IPv6 addresses cannot be added in the namespaces here")
    assert net.get(SERVER_V6) == f"peer={CLIENT_V6}"
    proxy = netns_wproxy(net.router, "transparent", "--listen", f"[::]:{PROXY_PORT}", "--log-format", "json")
    commands = install_rules(net.router, printed_rules("--ports", "80", "--listen", f"[::]:{PROXY_PORT}"),
                             "ip6tables nat REDIRECT")
    assert any(c.startswith("ip6tables") for c in commands)
    assert net.get(SERVER_V6) == f"peer={ROUTER_S_V6}"
    record = proxy.wait_for_record(lambda r: r["original_dst"] == f"[{SERVER_V6}]:80")
    assert record["sniffed"] == "-"  # --sniff not given


def test_redirect_through_an_upstream_socks_proxy(netns, netns_wproxy):
    require_root_tools("iptables")
    help_text = run_wproxy("transparent", "--help").stdout
    if "--upstream-proxy" not in help_text or "wproxy socks" not in run_wproxy("socks", "--help").stdout:
        pytest.skip("this build has no --upstream-proxy chain or no socks mode yet")
    net = Topology(netns)
    socks = netns_wproxy(net.router, "socks", "--listen", "127.0.0.1:0")
    proxy = netns_wproxy(net.router, "transparent", "--listen", f":{PROXY_PORT}", "--log-format", "json",
                         "--upstream-proxy", f"socks5://127.0.0.1:{socks.port}")
    install_rules(net.router, printed_rules("--ports", "80", "--listen", f":{PROXY_PORT}"), "nat REDIRECT")
    assert net.get(SERVER_V4) == f"peer={ROUTER_S_V4}"
    record = proxy.wait_for_record(lambda r: r["original_dst"] == f"{SERVER_V4}:80")
    assert record["route"] != "direct" and str(socks.port) in record["route"]
    socks.wait_for_output(lambda l: f"{SERVER_V4}" in l)


def test_laptop_output_redirect_with_user_nobody_on_a_low_port(netns, netns_wproxy):
    """The laptop setup: this machine's own connections (nat OUTPUT) go to wproxy, which runs as
    `nobody` after binding port 81 and is exempt from the rule by its owner."""
    require_root_tools("iptables")
    laptop = netns.add("l")
    server = netns.add("s")
    netns.link(laptop, "eth0", ROUTER_S_V4, ROUTER_S_V6, server, "eth0", SERVER_V4, SERVER_V6)
    http = netns.start(server, sys.executable, "-c", HTTP_SERVER)
    assert http.stdout.readline().strip() == "ready"

    proxy = netns_wproxy(laptop, "transparent", "--listen", "127.0.0.1:81", "--user", "nobody",
                         "--log-format", "json")
    proxy.wait_for_output(lambda l: "running as user nobody" in l, stream="stderr")
    status = status_fields(proxy.proc.pid)
    assert status["Uid"] == ["65534"] * 4, status["Uid"]
    assert status["Gid"] == ["65534"] * 4, status["Gid"]
    assert int(status["CapEff"][0], 16) == 0 and int(status["CapPrm"][0], 16) == 0
    assert all(cap == 0 for cap in thread_capabilities(proxy.proc.pid).values())

    commands = install_rules(laptop, printed_rules("--ports", "80", "--listen", "127.0.0.1:81", "--user", "nobody"),
                             "nat OUTPUT REDIRECT with the owner match")
    assert commands == [
        "iptables -t nat -A OUTPUT -p tcp --dport 80 -m owner ! --uid-owner nobody -j REDIRECT --to-ports 81"]
    body = netns_exec(laptop, sys.executable, "-c", HTTP_GET, SERVER_V4, "80", "web.test").stdout.strip()
    assert body == f"peer={ROUTER_S_V4}"
    record = proxy.wait_for_record(lambda r: r["original_dst"] == f"{SERVER_V4}:80")
    assert record["client"].startswith(f"{ROUTER_S_V4}:") and record["end"] == "closed"


# --- TPROXY ------------------------------------------------------------------------------------

@pytest.mark.parametrize("family,listen", [
    ("ipv4", f"127.0.0.1:{PROXY_PORT}"), ("ipv6", f"[::1]:{PROXY_PORT}"),
    ("ipv4", f":{PROXY_PORT}"), ("ipv6", f":{PROXY_PORT}"),  # one dual-stack transparent socket
])
def test_tproxy_on_a_router_with_user_keeping_cap_net_admin(netns, netns_wproxy, family, listen):
    require_root_tools("iptables", "ip6tables")
    net = Topology(netns)
    if family == "ipv6" and not netns.ipv6:
        pytest.skip("IPv6 addresses cannot be added in the namespaces here")
    server, router_side = (SERVER_V4, ROUTER_S_V4) if family == "ipv4" else (SERVER_V6, ROUTER_S_V6)
    try:
        proxy = netns_wproxy(net.router, "transparent", "--tproxy", "--listen", listen, "--user", "nobody",
                             "--sniff", "--log-format", "json")
    except RuntimeError as error:
        if "Protocol not available" in str(error) or "not permitted" in str(error):
            pytest.skip(f"IP_TRANSPARENT not available here: {error}")
        raise
    install_rules(net.router, printed_rules("--ports", "80", "--listen", listen, "--tproxy", "--user", "nobody"),
                  "TPROXY (xt_TPROXY, xt_socket, policy routing)")

    expected_host = server if family == "ipv4" else f"[{server}]"
    assert net.get(server) == f"peer={router_side}"
    record = proxy.wait_for_record(lambda r: r["original_dst"] == f"{expected_host}:80")
    assert record["sniffed"] == "web.test" and record["end"] == "closed"

    status = status_fields(proxy.proc.pid)
    assert status["Uid"] == ["65534"] * 4
    caps = thread_capabilities(proxy.proc.pid)
    assert all(cap & ~CAP_NET_ADMIN == 0 for cap in caps.values()), caps
    assert any(name.startswith("NIO-ELT") and cap == CAP_NET_ADMIN for name, cap in caps.items()), caps


def test_tproxy_for_this_machines_own_connections(netns, netns_wproxy):
    """The TPROXY laptop variant: mangle OUTPUT marks loop local connections through lo into
    PREROUTING, where TPROXY hands them to wproxy; wproxy's own user is exempt."""
    require_root_tools("iptables")
    laptop = netns.add("l")
    server = netns.add("s")
    netns.link(laptop, "eth0", ROUTER_S_V4, ROUTER_S_V6, server, "eth0", SERVER_V4, SERVER_V6)
    http = netns.start(server, sys.executable, "-c", HTTP_SERVER)
    assert http.stdout.readline().strip() == "ready"
    listen = f"127.0.0.1:{PROXY_PORT}"
    proxy = netns_wproxy(laptop, "transparent", "--tproxy", "--listen", listen, "--user", "nobody",
                         "--log-format", "json")
    install_rules(laptop, printed_rules("--ports", "80", "--listen", listen, "--tproxy", "--user", "nobody"),
                  "TPROXY with OUTPUT marking")
    body = netns_exec(laptop, sys.executable, "-c", HTTP_GET, SERVER_V4, "80", "web.test").stdout.strip()
    assert body == f"peer={ROUTER_S_V4}"
    record = proxy.wait_for_record(lambda r: r["original_dst"] == f"{SERVER_V4}:80")
    assert record["end"] == "closed"


# --- loop protection, --print-iptables, --user errors -----------------------------------------

def test_direct_connection_to_the_listener_is_a_loop(wproxy):
    proxy = wproxy("transparent", "--listen", "127.0.0.1:0", "--log-format", "json")
    with connect(proxy.port) as client:
        assert recv_all(client) == b""
    line = proxy.wait_for_output(lambda l: l.startswith("{"))
    record = json.loads(line)
    assert record["end"] == "loop" and record["original_dst"] == f"127.0.0.1:{proxy.port}"
    proxy.wait_for_output(lambda l: "is a loop" in l, stream="stderr")
    assert proxy.proc.poll() is None


def snapshot_netfilter():
    """iptables, ip6tables, ip rule and table 100 as text, without the timestamped comment lines."""
    parts = []
    for command in (["iptables-save"], ["ip6tables-save"], ["ip", "rule"], ["ip", "-6", "rule"],
                    ["ip", "route", "show", "table", "100"], ["ip", "-6", "route", "show", "table", "100"]):
        result = run(*command, check=False)
        parts.append("\n".join(line for line in result.stdout.splitlines() if not line.startswith("#")))
    return parts


def test_print_iptables_changes_nothing_and_binds_nothing():
    require_root_tools("iptables-save", "ip6tables-save")
    before = snapshot_netfilter()
    with connect_busy_port() as busy_port:
        for extra in ([], ["--tproxy"], ["--user", "nobody"], ["--listen", f":{busy_port}", "--tproxy"]):
            result = run_wproxy("transparent", "--print-iptables", "--ports", "80,443", *extra)
            assert result.returncode == 0, result.stderr
            assert "listening on" not in result.stderr
            assert ("TPROXY" in result.stdout) == ("--tproxy" in extra)
    redirect = run_wproxy("transparent", "--print-iptables", "--ports", "80,443", "--user", "nobody").stdout
    assert ("iptables -t nat -A OUTPUT -p tcp -m multiport --dports 80,443 -m owner ! --uid-owner nobody "
            "-j REDIRECT --to-ports 12345") in redirect
    assert snapshot_netfilter() == before


class connect_busy_port:
    """A listening socket on loopback, so that binding its port would fail."""

    def __enter__(self):
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


def test_print_iptables_usage_errors():
    assert run_wproxy("transparent", "--print-iptables").returncode == 64
    result = run_wproxy("transparent", "--ports", "80")
    assert result.returncode == 64 and "--ports" in result.stderr
    result = run_wproxy("transparent", "--print-iptables", "--ports", "80,99999")
    assert result.returncode == 64 and "99999" in result.stderr
    result = run_wproxy("transparent", "--print-iptables", "--ports", "80", "--listen", "127.0.0.1:0")
    assert result.returncode == 1 and "port" in result.stderr


def test_user_that_does_not_exist_exits_1_before_listening():
    result = run_wproxy("transparent", "--listen", "127.0.0.1:0", "--user", "nosuchuser")
    assert result.returncode == 1
    assert "--user: no such user 'nosuchuser'" in result.stderr
    assert "listening on" not in result.stderr
    assert "Traceback" not in result.stderr and "Fatal error" not in result.stderr


def test_user_drop_that_cannot_happen_exits_1():
    """Not root (here: already nobody) and asked to become another user: exit 1, never serve."""
    if os.geteuid() != 0:
        pytest.skip("needs root to start wproxy as another user")
    result = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", wproxy_binary(),
         "transparent", "--listen", "127.0.0.1:0", "--user", "daemon"],
        capture_output=True, text=True, timeout=20)
    if result.returncode == 127 or "setpriv:" in result.stderr:
        pytest.skip(f"setpriv unavailable: {result.stderr.strip()}")
    assert result.returncode == 1, result.stderr
    assert "cannot drop privileges to daemon" in result.stderr
    assert "Operation not permitted" in result.stderr


def test_user_works_in_tcp_mode_too(netns, netns_wproxy):
    ns = netns.add("u")
    echo = netns.start(ns, sys.executable, "-c", (
        "import socket\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 7)); s.listen(8); print('ready', flush=True)\n"
        "while True:\n"
        "    c, _ = s.accept(); c.sendall(c.recv(100)); c.close()\n"))
    assert echo.stdout.readline().strip() == "ready"
    proxy = netns_wproxy(ns, "tcp", "--listen", "127.0.0.1:82", "--upstream", "127.0.0.1:7", "--user", "nobody")
    proxy.wait_for_output(lambda l: "running as user nobody" in l, stream="stderr")
    assert status_fields(proxy.proc.pid)["Uid"] == ["65534"] * 4
    reply = netns_exec(ns, sys.executable, "-c", (
        "import socket; s = socket.create_connection(('127.0.0.1', 82), timeout=5); s.sendall(b'hello');"
        "print(s.recv(100).decode())")).stdout.strip()
    assert reply == "hello"
