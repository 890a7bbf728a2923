"""The command line as a user meets it: help, version, usage errors (exit 64), bind errors (exit 1)."""
import socket

from conftest import run_wproxy


def test_version():
    result = run_wproxy("--version")
    assert result.returncode == 0
    assert result.stdout.strip()[0].isdigit()


def test_help_lists_working_modes():
    result = run_wproxy("--help")
    assert result.returncode == 0
    assert "tcp" in result.stdout


def test_completion_scripts():
    for shell in ("bash", "zsh", "fish"):
        result = run_wproxy("--generate-completion-script", shell)
        assert result.returncode == 0, result.stderr
        assert "wproxy" in result.stdout


def test_unknown_flag_is_a_usage_error():
    result = run_wproxy("tcp", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--bogus")
    assert result.returncode == 64
    assert "--bogus" in result.stderr
    assert "Traceback" not in result.stderr and "Fatal error" not in result.stderr


def test_bad_values_name_the_flag_and_the_value():
    cases = [
        (["--listen", "127.0.0.1:99999"], "--listen", "99999"),
        (["--listen", "nonsense"], "--listen", "nonsense"),
        (["--connect-timeout", "5 parsecs"], "--connect-timeout", "5 parsecs"),
        (["--idle-timeout=-1s"], "--idle-timeout", "-1s"),
        (["--lb", "fastest"], "--lb", "fastest"),
        (["--upstream", "127.0.0.1:1,weight=0"], "--upstream", "weight"),
        (["--proxy-protocol", "v3"], "--proxy-protocol", "v3"),
        (["--sni", "example.test"], "--sni", "example.test"),
        (["--log-level", "loud"], "--log-level", "loud"),
    ]
    for extra, flag, value in cases:
        args = ["tcp", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1"] + extra
        result = run_wproxy(*args)
        assert result.returncode == 64, (extra, result.stderr)
        assert flag in result.stderr and value in result.stderr, (extra, result.stderr)


def test_missing_upstream_is_a_usage_error():
    result = run_wproxy("tcp", "--listen", "127.0.0.1:0")
    assert result.returncode == 64
    assert "--upstream" in result.stderr


def test_port_in_use_names_the_address_and_exits_1():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_wproxy("tcp", "--listen", f"127.0.0.1:{port}", "--upstream", "127.0.0.1:1")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "in use" in result.stderr.lower()


def test_committed_completions_match_the_binary():
    """completions/ is regenerated from the binary (scripts/completions); a stale copy fails here."""
    import os
    from conftest import ROOT
    for shell, name in (("bash", "wproxy.bash"), ("zsh", "_wproxy"), ("fish", "wproxy.fish")):
        generated = run_wproxy("--generate-completion-script", shell).stdout
        with open(os.path.join(ROOT, "completions", name)) as f:
            assert f.read() == generated, f"completions/{name} is stale: run scripts/completions"
