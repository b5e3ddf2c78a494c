"""Who can reach the app: the project's .streamlit/config.toml serves it on 127.0.0.1 only.

The `app_server` fixture starts `streamlit run app.py` without `--server.address`, as a user would,
so the address comes from the project's config.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
import urllib.parse
import urllib.request

from .conftest import ROOT


def _machine_addresses() -> set[str]:
    """Every address of this machine we can find, IPv4 and IPv6, other than 127.0.0.1."""
    found = {"127.0.0.2", "::1"}  # other loopback addresses: up on every Linux machine
    for cmd in (["ip", "-o", "addr", "show"], ["hostname", "-I"]):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        tokens = out.split()
        if cmd[0] == "ip":  # "inet 192.0.2.2/24 brd 192.0.2.255 ...": the address after inet
            tokens = [
                t for prev, t in zip(tokens, tokens[1:], strict=False) if prev in ("inet", "inet6")
            ]
        found.update(t.split("/")[0] for t in tokens)
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:  # the address a packet to the outside would leave from (nothing is sent)
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                found.add(s.getsockname()[0])
        except OSError:
            pass
    usable = set()
    for a in found:
        try:
            ip = ipaddress.ip_address(a.split("%")[0])
        except ValueError:
            continue
        if not ip.is_link_local and not ip.is_unspecified and str(ip) != "127.0.0.1":
            usable.add(str(ip))
    return usable


def _connects(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            s.connect((address, port))
        return True
    except OSError:
        return False


def test_project_config_binds_to_localhost():
    text = (ROOT / ".streamlit" / "config.toml").read_text()  # (tomllib needs Python 3.11)
    server = text.split("[server]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^address = "127\.0\.0\.1"$', server, re.M)
    limit = re.search(r"^maxUploadSize = (\d+)$", server, re.M)
    assert limit and int(limit.group(1)) >= 1024  # ML-25M's ratings.csv is about 680 MB


def test_app_answers_on_localhost_and_not_on_other_addresses(app_server):
    port = urllib.parse.urlparse(app_server).port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
        assert r.read().strip() == b"ok"
    others = _machine_addresses()
    assert "127.0.0.2" in others  # at least another loopback address is always tried
    reachable = sorted(a for a in others if _connects(a, port))
    assert reachable == [], f"the app also answers on {reachable}"
