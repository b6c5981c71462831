"""URL, host and credential-path classification shared by the rule families."""

from __future__ import annotations

import pytest

from douane.analysis import indicators as ind


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://discord.com/api/webhooks/1/abc", ind.WEBHOOK),
        ("https://discordapp.com/api/v10/webhooks/1/abc", ind.WEBHOOK),
        ("https://hooks.slack.com/services/T0/B0/x", ind.WEBHOOK),
        ("https://api.telegram.org/bot123:abc/sendMessage", ind.WEBHOOK),
        ("https://pastebin.com/raw/x", ind.PASTE),
        ("https://a1b2.ngrok-free.app/x", ind.TUNNEL),
        ("https://eo1.m.pipedream.net", ind.TUNNEL),
        ("http://abc.oast.fun", ind.TUNNEL),
        ("https://65f0.mockapi.io/api/v1/x", ind.MOCK_API),
        ("https://transfer.sh/x.bin", ind.FILE_HOST),
        ("https://cdn.discordapp.com/attachments/1/2/a.exe", ind.FILE_HOST),
        ("https://bit.ly/x", ind.SHORTENER),
        ("http://evil.duckdns.org:8080/", ind.DYNDNS),
        ("http://192.0.2.7/p", ind.RAW_IP),
        ("http://[2001:db8::1]/p", ind.RAW_IP),
        ("http://93.184.216.34/", ind.RAW_IP),
        ("abc.ngrok.io/x", ind.TUNNEL),  # scheme stripped to dodge scanners
    ],
)
def test_url_kind_names_drop_destinations(url, kind):
    assert ind.url_kind(url) == kind


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/psf/requests",
        "https://discord.com/invite/abc",  # an invite page, not a webhook
        "https://api.telegram.org/",  # the API root without a bot token
        "http://10.0.0.1/x",  # private
        "http://127.0.0.1:8000/",  # loopback
        "http://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
        "https://notngrok.io.example.invalid/",  # suffix must be at the end
        "",
    ],
)
def test_url_kind_leaves_ordinary_hosts_alone(url):
    assert ind.url_kind(url) is None


def test_find_urls_strips_trailing_punctuation():
    text = 'see (https://a.example.invalid/c). and "http://192.0.2.1:80/x", ok'
    assert ind.find_urls(text) == ["https://a.example.invalid/c", "http://192.0.2.1:80/x"]


def test_host_kind_matches_whole_labels_only():
    assert ind.host_kind("x.ngrok.io") == ind.TUNNEL
    assert ind.host_kind("myngrok.io") is None


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("~/.ssh/id_rsa", ind.SSH),
        ("/home/u/.aws/credentials", ind.CLOUD),
        ("C:\\Users\\u\\.git-credentials", ind.TOKENS),
        ("~/.pypirc", ind.TOKENS),
        ("/etc/shadow", ind.SYSTEM),
        (
            "C:\\Users\\u\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Login Data",
            ind.BROWSER,
        ),
        ("profile/logins.json", ind.BROWSER),
        ("%APPDATA%\\discord\\Local Storage\\leveldb", ind.DISCORD),
        ("Local Extension Settings/nkbihfbeogaeaoehlefnkodbefgpgknn", ind.WALLET),
        ("~/.config/solana/id.json", ind.WALLET),
        ("%APPDATA%/Exodus/exodus.wallet", ind.WALLET),
    ],
)
def test_sensitive_paths_names_credential_stores(path, kind):
    assert kind in {sp.kind for sp in ind.sensitive_paths(path)}


@pytest.mark.parametrize(
    "path", ["README.md", "/etc/hosts", "~/.config/app.toml", "ssh_config.py", "id.json"]
)
def test_sensitive_paths_ignores_ordinary_paths(path):
    assert ind.sensitive_paths(path) == []


def test_ip_lookup_services():
    assert ind.is_ip_lookup("https://api.ipify.org?format=json")
    assert not ind.is_ip_lookup("https://api.github.com/")
