"""Prometheus metrics at --metrics ADDR, after real traffic."""
import re
import urllib.request

from conftest import connect, echo_handler, wait_until


def metrics_url(proxy):
    line = proxy.wait_for_output(lambda l: "metrics on http://" in l, stream="stderr")
    return re.search(r"(http://\S+/metrics)", line).group(1)


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return response.read().decode()


def value(text, name, **labels):
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_after_tcp_traffic(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--metrics", "127.0.0.1:0", "--health-check", "tcp", "--health-interval", "1s",
                   "--access-log", "off")
    url = metrics_url(proxy)
    listener = f"127.0.0.1:0"
    for _ in range(3):
        with connect(proxy.port) as client:
            client.sendall(b"hello")
            assert client.recv(10) == b"hello"

    def counted():
        text = scrape(url)
        return value(text, "wproxy_requests_total", listener=listener, code="closed") == 3
    assert wait_until(counted, timeout=5)
    text = scrape(url)
    assert value(text, "wproxy_connections_total", listener=listener, mode="tcp") == 3
    assert value(text, "wproxy_connections_active", listener=listener, mode="tcp") == 0
    assert value(text, "wproxy_bytes_total", listener=listener, direction="up") == 15
    assert value(text, "wproxy_bytes_total", listener=listener, direction="down") == 15
    assert value(text, "wproxy_upstream_healthy", upstream=f"127.0.0.1:{upstream.port}") == 1
    assert value(text, "wproxy_request_duration_seconds_count", listener=listener) == 3

    with connect(proxy.port) as held:
        held.sendall(b"x")
        assert held.recv(10) == b"x"
        assert value(scrape(url), "wproxy_connections_active", listener=listener, mode="tcp") == 1


def test_metrics_unknown_path_is_404(wproxy, servers):
    upstream = servers(echo_handler)
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream.port}",
                   "--metrics", "127.0.0.1:0")
    url = metrics_url(proxy).replace("/metrics", "/other")
    try:
        urllib.request.urlopen(url, timeout=5)
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as error:
        assert error.code == 404
