"""`--upstream-proxy` chains end to end: wproxy through microsocks, tinyproxy and other wproxy instances.

microsocks stands in for a SOCKS5 hop; when this build has `wproxy socks`, the wproxy SOCKS server is
used as a hop too.
"""
import socket

import pytest

from conftest import free_port, run_wproxy
from forward_support import (curl, origin, proxy_request, start_microsocks, start_tinyproxy,  # noqa: F401
                             status_of, stop)


def has_socks_mode():
    return "\n  socks " in run_wproxy("--help").stdout


def test_forward_through_a_socks5_hop(wproxy, origin):
    server = origin()
    socks_port = free_port()
    hop = start_microsocks(socks_port)
    try:
        proxy = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"socks5://127.0.0.1:{socks_port}")
        url = f"http://127.0.0.1:{server.port}/via-socks"
        assert curl("-x", f"http://127.0.0.1:{proxy.port}", url).stdout == b"hello from origin /via-socks"
        response = proxy_request(proxy.port, f"CONNECT 127.0.0.1:{server.port} HTTP/1.1\r\n\r\n"
                                 f"GET /tunnel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert response.startswith(b"HTTP/1.1 200 Connection Established") and response.endswith(b"origin /tunnel")
    finally:
        stop(hop)


def test_forward_through_a_socks5_hop_with_credentials(wproxy, origin):
    server = origin()
    socks_port = free_port()
    hop = start_microsocks(socks_port, user="al@ice", password="p:w")
    try:
        good = wproxy("forward", "--listen", "127.0.0.1:0",
                      "--upstream-proxy", f"socks5://al%40ice:p%3Aw@127.0.0.1:{socks_port}")
        url = f"http://127.0.0.1:{server.port}/auth"
        assert curl("-x", f"http://127.0.0.1:{good.port}", url).stdout == b"hello from origin /auth"
        # Without credentials the hop accepts none of our methods: 502 naming the hop's demand.
        bare = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"socks5://127.0.0.1:{socks_port}")
        response = proxy_request(bare.port, f"GET {url} HTTP/1.1\r\n\r\n".encode())
        assert status_of(response) == 502 and b"authentication" in response
    finally:
        stop(hop)


def test_forward_through_tinyproxy_and_a_two_hop_chain(wproxy, origin):
    server = origin()
    http_port, socks_port = free_port(), free_port()
    tiny = start_tinyproxy(http_port)
    socks = start_microsocks(socks_port)
    try:
        url = f"http://127.0.0.1:{server.port}/via-tinyproxy"
        one = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"http://127.0.0.1:{http_port}")
        assert curl("-x", f"http://127.0.0.1:{one.port}", url).stdout == b"hello from origin /via-tinyproxy"
        two = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"socks5://127.0.0.1:{socks_port}",
                     "--upstream-proxy", f"http://127.0.0.1:{http_port}")
        assert curl("-x", f"http://127.0.0.1:{two.port}", url).stdout == b"hello from origin /via-tinyproxy"
    finally:
        stop(tiny)
        stop(socks)


def test_failing_hops_are_reported_as_the_right_status(wproxy, origin):
    server = origin()
    url = f"http://127.0.0.1:{server.port}/"
    # The hop itself is down: 502.
    dead = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"socks5://127.0.0.1:{free_port()}")
    response = proxy_request(dead.port, f"GET {url} HTTP/1.1\r\n\r\n".encode())
    assert status_of(response) == 502 and b"upstream proxy" in response
    # The hop cannot reach the destination (SOCKS5 reply 0x05): 502.
    socks_port = free_port()
    socks = start_microsocks(socks_port)
    http_port = free_port()
    tiny = start_tinyproxy(http_port, extra="BasicAuth hopuser hoppass")
    try:
        refusing = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"socks5://127.0.0.1:{socks_port}")
        response = proxy_request(refusing.port, f"GET http://127.0.0.1:{free_port()}/ HTTP/1.1\r\n\r\n".encode())
        assert status_of(response) == 502, response
        # The hop wants credentials (407 from tinyproxy): 502 that says so, not a 407 of our own.
        needs_auth = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"http://127.0.0.1:{http_port}")
        response = proxy_request(needs_auth.port, f"GET {url} HTTP/1.1\r\n\r\n".encode())
        assert status_of(response) == 502 and b"authentication" in response and b"407" in response
        authed = wproxy("forward", "--listen", "127.0.0.1:0",
                        "--upstream-proxy", f"http://hopuser:hoppass@127.0.0.1:{http_port}")
        assert curl("-x", f"http://127.0.0.1:{authed.port}", url + "ok").stdout == b"hello from origin /ok"
    finally:
        stop(socks)
        stop(tiny)


def test_tcp_mode_through_a_socks5_hop(wproxy, origin):
    server = origin()
    socks_port = free_port()
    hop = start_microsocks(socks_port)
    try:
        proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{server.port}",
                       "--upstream-proxy", f"socks5://127.0.0.1:{socks_port}")
        assert curl(f"http://127.0.0.1:{proxy.port}/tcp-chain").stdout == b"hello from origin /tcp-chain"
    finally:
        stop(hop)


def test_tcp_mode_through_wproxy_forward_connect(wproxy, origin):
    server = origin()
    forward = wproxy("forward", "--listen", "127.0.0.1:0")
    proxy = wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{server.port}",
                   "--upstream-proxy", f"http://127.0.0.1:{forward.port}")
    assert curl(f"http://127.0.0.1:{proxy.port}/double").stdout == b"hello from origin /double"
    forward.wait_for_output(lambda l: "method=CONNECT" in l and f"127.0.0.1:{server.port}" in l)


def test_connect_timeout_covers_the_whole_chain(wproxy):
    # A "hop" that accepts and never answers the SOCKS greeting.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        proxy = wproxy("forward", "--listen", "127.0.0.1:0", "--connect-timeout", "1s",
                       "--upstream-proxy", f"socks5://127.0.0.1:{silent.getsockname()[1]}")
        response = proxy_request(proxy.port, b"GET http://example.test/ HTTP/1.1\r\n\r\n")
        assert status_of(response) == 504
    finally:
        silent.close()


@pytest.mark.skipif(not has_socks_mode(), reason="this build has no `wproxy socks` yet (microsocks covers SOCKS hops)")
def test_forward_through_wproxy_socks_and_socks_through_wproxy_forward(wproxy, origin):
    server = origin()
    socks = wproxy("socks", "--listen", "127.0.0.1:0")
    forward = wproxy("forward", "--listen", "127.0.0.1:0", "--upstream-proxy", f"socks5://127.0.0.1:{socks.port}")
    url = f"http://127.0.0.1:{server.port}/wproxy-socks"
    assert curl("-x", f"http://127.0.0.1:{forward.port}", url).stdout == b"hello from origin /wproxy-socks"

    front = wproxy("socks", "--listen", "127.0.0.1:0", "--upstream-proxy", f"http://127.0.0.1:{forward.port}")
    result = curl("--socks5-hostname", f"127.0.0.1:{front.port}", url)
    assert result.stdout == b"hello from origin /wproxy-socks", result.stderr
