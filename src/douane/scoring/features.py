"""The trained detector's inputs: one documented feature vector per scanned artifact.

Scanning an artifact is costly; turning it into features is not. So the work is split in two:

* :func:`summarise` reads the scan once (findings + :class:`ArtifactContext`) into a small
  JSON-serialisable :class:`Summary`: the findings reduced to ``(rule, severity, confidence,
  where, file)`` and the structure/metadata measurements. ``douane train`` caches summaries,
  so a new feature over findings needs no rescan.
* :func:`features` turns a summary into ``{name: value}``; :func:`vector` orders it for the
  model. Every name is described in :data:`FEATURES` (fixed features) or by
  :func:`rule_feature_descriptions` (one pair per registered rule): ``feature_table()`` is the
  single table of name → description that the model card prints.

What features must never do: encode a project's name, an author, a URL, a host or any literal
string of a campaign. They describe *behaviour* (what is read, where it is sent, when it runs),
*shape* (how the release is built) and *metadata hygiene* (placeholder descriptions, 99.x
versions, the kind of e-mail domain), so that they carry over to campaigns not yet seen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress, repeat
from operator import attrgetter, gt, is_, itemgetter, or_
from typing import TYPE_CHECKING, Any

from douane.analysis.interface import FileType, Tag
from douane.analysis.registry import load_all
from douane.domain import Confidence, Family, Finding, Where

if TYPE_CHECKING:
    from douane.analysis.context import ArtifactContext

# Bump when summarise() measures something new or differently: cached summaries carry it.
SUMMARY_VERSION = 1

# When code holding a finding runs, as an ordinal the trees can split on (0 = no finding).
WHERE_RANK = {
    Where.TEST: 1,
    Where.FUNCTION: 2,
    Where.OTHER: 3,
    Where.METADATA: 3,
    Where.ARCHIVE: 3,
    Where.IMPORT: 4,
    Where.INSTALL: 5,
}
_WHERE_CODE = {str(w): w for w in Where}

# Capability combinations that mark malware when they sit in one file (name, tags, words).
COMBOS: tuple[tuple[str, frozenset[Tag], str], ...] = (
    ("secret_send_fixed", frozenset({Tag.SECRET_READ, Tag.NETWORK_SEND, Tag.FIXED_DESTINATION}),
     "reads secrets and sends data to a hard-coded destination"),
    ("secret_send", frozenset({Tag.SECRET_READ, Tag.NETWORK_SEND}),
     "reads secrets and sends data out"),
    ("download_execute", frozenset({Tag.DOWNLOAD, Tag.EXECUTE}), "downloads and executes"),
    ("download_write_execute", frozenset({Tag.DOWNLOAD, Tag.FILE_WRITE, Tag.EXECUTE}),
     "downloads, writes a file and executes it"),
    ("decode_exec", frozenset({Tag.DECODE, Tag.DYNAMIC_EXEC}), "decodes data and runs it as code"),
    ("obfuscated_exec", frozenset({Tag.OBFUSCATED, Tag.DYNAMIC_EXEC}),
     "obfuscated code that runs dynamic code"),
    ("persist_execute", frozenset({Tag.PERSIST, Tag.EXECUTE}), "executes and installs itself"),
    ("evade_execute", frozenset({Tag.EVADE, Tag.EXECUTE}), "hides or checks for sandboxes and executes"),
    ("send_execute", frozenset({Tag.NETWORK_SEND, Tag.EXECUTE}), "talks to the network and executes"),
)  # fmt: skip
ARTIFACT_COMBOS = ("secret_send", "download_execute", "decode_exec")

# Top-level modules by what importing them at install or import time lets code do.
IMPORT_KINDS: dict[str, frozenset[str]] = {
    "network": frozenset({"urllib", "urllib2", "urllib3", "requests", "http", "httplib", "socket",
                          "ftplib", "smtplib", "aiohttp", "httpx", "websocket", "websockets",
                          "telebot", "telegram", "discord", "dns", "paramiko", "pycurl"}),
    "process": frozenset({"subprocess", "pty", "ctypes", "commands", "win32api", "win32con",
                          "win32process", "multiprocessing"}),
    "encoding": frozenset({"base64", "zlib", "marshal", "binascii", "lzma", "bz2", "pickle",
                           "dill", "cloudpickle"}),
    "sysinfo": frozenset({"platform", "getpass", "uuid", "psutil", "pwd", "winreg", "_winreg",
                          "wmi", "GPUtil", "cpuinfo"}),
    "crypto": frozenset({"Crypto", "Cryptodome", "cryptography", "nacl", "fernet", "pyaes"}),
    "harvest": frozenset({"sqlite3", "shutil", "glob", "tempfile", "browser_cookie3", "win32crypt",
                          "pyperclip", "pyautogui", "pynput", "keyboard", "PIL", "mss"}),
    "threading": frozenset({"threading", "_thread", "thread", "asyncio"}),
}  # fmt: skip
# What a setup.py ordinarily imports; anything else at install time is "unusual".
SETUP_USUAL = frozenset({
    "setuptools", "distutils", "os", "sys", "io", "re", "pathlib", "codecs", "glob", "pkg_resources",
    "sysconfig", "platform", "subprocess", "shutil", "json", "ast", "textwrap", "warnings",
    "tomllib", "toml", "tomli", "typing", "itertools", "functools", "collections", "configparser",
    "fnmatch", "struct", "contextlib", "logging", "time", "datetime", "tempfile", "numpy", "Cython",
    "pybind11", "cffi", "setuptools_rust", "setuptools_scm", "versioneer", "wheel", "packaging",
    "torch", "__future__", "imp", "importlib", "string", "inspect", "site", "stat", "errno",
    "multiprocessing", "distutils_extra", "skbuild", "mypyc", "hatchling", "pip", "builtins",
    "shlex", "copy", "math", "operator", "enum", "dataclasses", "runpy", "unittest", "argparse",
    "_version", "version", "ctypes", "zipfile", "tarfile", "urllib", "hashlib",
})  # fmt: skip
# Statements at the start of a line. Each pattern is written twice: anchored at the text's
# start, and after a newline. A search for a leading "\n" jumps from newline to newline, where
# a MULTILINE "^" pattern is tried at every character (milliseconds on a 100 KB setup.py);
# both find the same matches, as no match spans a newline. The leading blanks are possessive
# ("*+"): a keyword follows them, so giving blanks back can never make a match.
_IMPORT_STMT = (
    r"[ \t]*+(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import|import[ \t]+([A-Za-z_][\w., \t]*))"
)
_DEF_STMT = rb"[ \t]*+(?:async[ \t]+)?def[ \t]"
_CLASS_STMT = rb"[ \t]*+class[ \t]"
_IMPORT_RE = (re.compile(_IMPORT_STMT), re.compile("\n" + _IMPORT_STMT))
_DEF_RE = (re.compile(_DEF_STMT), re.compile(b"\n" + _DEF_STMT))
_CLASS_RE = (re.compile(_CLASS_STMT), re.compile(b"\n" + _CLASS_STMT))
_SETUP_CALL = re.compile(r"\bsetup\s*\(")
# The longest run of base64-like characters: the class mapped to "a", all else to a space.
_B64ISH = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-"
_B64ISH_RUNS = bytes(ord("a") if b in _B64ISH else ord(" ") for b in range(256))
LONG_TOKEN_MIN = 64  # shorter runs read as 0
_LONG_RUN = b"a" * LONG_TOKEN_MIN
_ENTRY_INIT = re.compile(r"^(?:[^/]+/)?__init__\.py$")  # any match holds at most one "/"
ENTRY_MAX_BYTES = 128 * 1024  # measure at most this much of each install/import entry file
_BINARY_MAGIC = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
_MAGIC_HEADS = frozenset(m[:2] for m in _BINARY_MAGIC)  # first two bytes: a cheap first test
_COMPILED = (".pyc", ".pyo")
_NOT_BINARY = (".py", ".txt", ".md")


def _case_variants(suffix: str) -> frozenset[str]:
    """Every upper/lower spelling of an ASCII suffix: ``path[-len(s):]`` is one of them exactly
    when ``path.lower().endswith(s)``, without lowering the whole path (no other character
    lowers to a letter of ".pyc"/".pyo": only the Kelvin sign and the dotted capital I lower
    to ASCII, "k" and "i" + a combining dot)."""
    out = [""]
    for ch in suffix:
        out = [o + c for o in out for c in dict.fromkeys((ch.lower(), ch.upper()))]
    return frozenset(out)


_COMPILED_TAILS = _case_variants(".pyc") | _case_variants(".pyo")
_TAIL4 = itemgetter(slice(-4, None))
_HEAD2 = itemgetter(slice(None, 2))

# E-mail domain kinds: ordinary free webmail vs throwaway inboxes (not campaign strings:
# public lists of providers, the same for every project).
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "yahoo.co.jp", "ymail.com", "aol.com", "icloud.com", "me.com", "mac.com", "protonmail.com",
    "proton.me", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "zoho.com",
    "yandex.ru", "yandex.com", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "qq.com", "163.com",
    "126.com", "foxmail.com", "sina.com", "naver.com", "hanmail.net", "tutanota.com", "tuta.io",
    "fastmail.com", "rambler.ru", "seznam.cz", "libero.it", "orange.fr", "free.fr", "t-online.de",
    "rediffmail.com", "outlook.fr", "hotmail.fr", "hotmail.co.uk", "yahoo.fr", "yahoo.co.uk",
})  # fmt: skip
DISPOSABLE_MAIL = frozenset({
    "mailinator.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com", "grr.la",
    "10minutemail.com", "temp-mail.org", "tempmail.com", "tempmail.net", "yopmail.com",
    "trashmail.com", "getnada.com", "nada.email", "dispostable.com", "maildrop.cc", "mailnesia.com",
    "throwawaymail.com", "fakeinbox.com", "mohmal.com", "emailondeck.com", "mintemail.com",
    "spamgourmet.com", "tempr.email", "discard.email", "burnermail.io", "inboxkitten.com",
    "mail.tm", "1secmail.com", "tmpmail.org", "mailpoof.com", "example.com", "example.org",
    "test.com", "email.com",
})  # fmt: skip
EMAIL_KIND = {"none": 0, "free": 1, "disposable": 2, "other": 3, "malformed": 4}
_EMAIL_RE = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


# -- the feature table ------------------------------------------------------------------------

FEATURES: dict[str, str] = {
    # findings, all rules together
    "rules.score": "the rules-only weighting's score for the same findings (0–1)",
    "findings.install": "findings in code that runs on install (setup.py, cmdclass, .pth)",
    "findings.import": "findings in module top-level code (runs on import)",
    "findings.function": "findings inside function bodies (run only when called)",
    "findings.test": "findings in tests, examples or docs",
    "findings.other": "findings about metadata, the archive or the artifact as a whole",
    "findings.files": "files (outside tests) holding at least one finding",
    "findings.max_per_file": "most findings in one file outside tests",
    "severity.max": "highest severity of any finding (0 none, 1 info … 5 critical)",
    "severity.max_install": "highest severity of a finding in install-time code",
    "severity.max_import": "highest severity of a finding in import-time code",
    "severity.max_function": "highest severity of a finding inside a function",
    "severity.high_confidence": "highest severity among high-confidence findings outside tests",
    "tags.distinct": "distinct capabilities (secret read, send, download, execute…) outside tests",
    "tags.distinct_early": "distinct capabilities in install- or import-time code",
    # structure
    "files.count": "regular files in the release",
    "files.python": "Python files",
    "files.python_share": "share of files that are Python",
    "files.max_depth": "deepest folder nesting",
    "files.pth": ".pth files (run at interpreter start)",
    "files.binary": "native executables (ELF, PE, Mach-O by magic bytes)",
    "files.pyc": "compiled .pyc files",
    "files.scripts": "shell, batch, PowerShell or VBScript files",
    "files.javascript": "JavaScript files",
    "bytes.total": "unpacked size in bytes",
    "bytes.python": "bytes of Python source",
    "archive.issues": "odd archive entries (links, absolute paths, traversal, limits)",
    "metadata.present": "1 when the release holds PKG-INFO / METADATA",
    "metadata.unparsed": "metadata fields the standard parser could not read",
    "setup.present": "1 when the release has a top-level setup.py",
    "setup.bytes": "setup.py size in bytes",
    "setup.lines": "non-blank lines in setup.py",
    "setup.defs": "functions defined in setup.py",
    "setup.classes": "classes defined in setup.py (cmdclass overrides are classes)",
    "setup.imports": "import statements in setup.py",
    "setup.unusual_imports": "modules setup.py imports that build scripts rarely need",
    "setup.cmdclass": "1 when setup.py mentions cmdclass (custom install commands)",
    "setup.calls_setup": "1 when setup.py calls setup(",
    "setup.kwargs": "literal keyword arguments of the setup() call",
    "setup.max_line": "longest line in setup.py",
    "setup.long_token": "longest base64-like run of characters in setup.py",
    "setup.entropy": "byte entropy of setup.py (bits per byte)",
    "entry.files": "top-level __init__.py and .pth files (code that runs on import or start-up)",
    "entry.bytes": "bytes in those entry files",
    "entry.max_line": "longest line in an entry file",
    "entry.long_token": "longest base64-like run of characters in an entry file",
    "entry.entropy": "highest byte entropy of an entry file",
    **{f"early_import.{k}": f"install/import-time code imports {k} modules ({', '.join(sorted(v)[:4])}…)"
       for k, v in IMPORT_KINDS.items()},
    # metadata
    "meta.description_len": "length of the long description",
    "meta.summary_len": "length of the one-line summary",
    "meta.author_missing": "1 when neither author nor maintainer is given",
    "meta.email_kind": "author e-mail domain: 0 none, 1 free webmail, 2 throwaway, 3 own domain, 4 malformed",
    "meta.urls": "home page and project URLs given",
    "meta.classifiers": "trove classifiers",
    "meta.requires": "declared dependencies",
    "meta.license": "1 when a licence is declared",
    "meta.name_mismatch": "1 when metadata, file and setup() names disagree",
    "version.major": "first number of the version (99.x, 999.x: dependency-confusion style)",
    "version.parts": "number of release segments in the version",
    "version.invalid": "1 when the version is not a valid PEP 440 version",
    "version.prerelease": "1 for a dev, alpha, beta or rc version",
    "version.zeroish": "1 for placeholder versions (0.0.0, 0.0.1, 0.1, 1.0.0)",
    "name.imitation": "how strongly the name imitates a popular project (0 none … 3 strong)",
    "name.target_rank": "log10 of the imitated project's popularity rank (0 when none)",
    "name.internal": "1 when the name reads like a company-internal package",
    **{f"combo.{n}": f"one file {words} (where rank of the weakest part: 2 function … 5 install)"
       for n, _, words in COMBOS},
    **{f"combo.{n}.any": f"the release, across files, {words}"
       for n, _, words in COMBOS if n in ARTIFACT_COMBOS},
    **{f"tag.{t}": f"capability '{t}' seen (where rank: 1 test … 5 install)" for t in Tag},
    **{f"family.{f}": f"findings of the {f} rules outside tests" for f in Family},
}  # fmt: skip
ZERO_DEFAULT = 0.0  # a feature absent from a summary (a rule added after training) reads as 0


def rule_feature_descriptions() -> dict[str, str]:
    """Two features per registered rule: where its strongest finding sits, and its severity."""
    out: dict[str, str] = {}
    for rule in sorted(load_all().values(), key=lambda r: r.id):
        if rule.family is Family.DIFF:  # needs --previous; never seen in training
            continue
        out[f"rule.{rule.id}"] = f"{rule.id} {rule.name}: where it fired (1 test … 5 install)"
        out[f"rule.{rule.id}.severity"] = f"{rule.id} {rule.name}: highest severity (1 info … 5 critical)"  # fmt: skip
    return out


def feature_table() -> dict[str, str]:
    """Every feature name → what it measures, in the order the model reads them."""
    return {**FEATURES, **rule_feature_descriptions()}


# -- summary: what one scan leaves behind -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """One artifact reduced to what features need; ``findings`` rows are
    ``(rule, severity, confidence, where, file index)``."""

    findings: tuple[tuple[str, int, int, str, int], ...]
    measures: dict[str, float] = field(default_factory=dict)
    rules_score: float = 0.0
    version: int = SUMMARY_VERSION

    def to_json(self) -> dict[str, Any]:
        return {"v": self.version, "f": [list(f) for f in self.findings],
                "m": self.measures, "r": self.rules_score}  # fmt: skip

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Summary:
        return cls(
            findings=tuple((str(a), int(b), int(c), str(w), int(i)) for a, b, c, w, i in d["f"]),
            measures={str(k): float(v) for k, v in d.get("m", {}).items()},
            rules_score=float(d.get("r", 0.0)),
            version=int(d.get("v", 0)),
        )


def _entropy(data: bytes) -> float:
    if not data:
        return 0.0
    import numpy as np

    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    p = counts[counts > 0] / len(data)
    return float(-(p * np.log2(p)).sum())


def _line_starts(pair: tuple[re.Pattern, re.Pattern], data: Any) -> Iterable[re.Match]:
    """Matches of a statement pattern at the start of any line of ``data``, in order."""
    first = pair[0].match(data)
    if first is not None:
        yield first
    yield from pair[1].finditer(data)


def _imports(text: str) -> list[str]:
    """Top-level module names imported anywhere in ``text`` (regex: the file may not parse)."""
    return _imported(_line_starts(_IMPORT_RE, text))


def _imported(matches: Iterable[re.Match]) -> list[str]:
    """The module names of import-statement matches, in order."""
    out: list[str] = []
    for m in matches:
        if m.group(1):
            out.append(m.group(1).split(".", 1)[0])
        else:
            for part in m.group(2).split(","):
                name = part.strip().split(" ", 1)[0].split(".", 1)[0]
                if name:
                    out.append(name)
    return out


def _count_statements(pair: tuple[re.Pattern, re.Pattern], data: bytes) -> int:
    return (pair[0].match(data) is not None) + len(pair[1].findall(data))


def _calls_setup(text: str) -> bool:
    r"""``re.search(r"\bsetup\s*\(", text)``, tried only where "setup" occurs."""
    at = text.find("setup")
    while at >= 0:
        if _SETUP_CALL.match(text, at):  # \b still sees the character before ``at``
            return True
        at = text.find("setup", at + 1)
    return False


def _non_blank_lines(data: bytes) -> int:
    """Lines with something besides ASCII whitespace (``x.strip()``), counted in C: a blank
    line is empty or all whitespace (``isspace``, which copies nothing)."""
    lines = data.split(b"\n")
    return len(lines) - lines.count(b"") - list(map(bytes.isspace, lines)).count(True)


def _max_line(data: bytes) -> int:
    """The longest line (``max(len(x) for x in data.split(b"\n"))``); in a large file, from
    where the newlines are, without copying each line (numpy costs more on a small one)."""
    if len(data) < 4096:
        return max(map(len, data.split(b"\n")))
    import numpy as np

    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    if len(newlines) == 0:
        return len(data)
    inner = int(np.diff(newlines).max(initial=1)) - 1  # lines between two newlines
    return max(int(newlines[0]), inner, len(data) - 1 - int(newlines[-1]))


def _long_token(data: bytes) -> int:
    """Longest run of at least LONG_TOKEN_MIN base64-like characters (0 when none)."""
    runs = data.translate(_B64ISH_RUNS)
    longest = 0
    at = runs.find(_LONG_RUN)  # the start of a run: one starting earlier would be found first
    while at >= 0:
        end = runs.find(b" ", at)
        end = len(runs) if end < 0 else end
        longest = max(longest, end - at)
        at = runs.find(_LONG_RUN, end)
    return longest


def _version_measures(version: str) -> dict[str, float]:
    from packaging.version import InvalidVersion, Version

    out = {"version.major": 0.0, "version.parts": 0.0, "version.invalid": 0.0,
           "version.prerelease": 0.0, "version.zeroish": 0.0}  # fmt: skip
    if not version:
        return out
    try:
        v = Version(version)
    except InvalidVersion:
        out["version.invalid"] = 1.0
        head = re.match(r"\d+", version)
        out["version.major"] = float(min(int(head.group()), 10**6)) if head else 0.0
        return out
    rel = v.release
    out["version.major"] = float(min(rel[0], 10**6))
    out["version.parts"] = float(len(rel))
    out["version.prerelease"] = float(v.is_prerelease)
    padded = (*rel, 0, 0)[:3]
    out["version.zeroish"] = float(padded in ((0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0)))
    return out


def email_kind(value: str) -> int:
    """Kind of the first e-mail domain in an author/maintainer field (see EMAIL_KIND)."""
    if not value or not value.strip():
        return EMAIL_KIND["none"]
    m = _EMAIL_RE.search(value)
    if m is None:
        return EMAIL_KIND["malformed"]
    domain = m.group(1).lower()
    if domain in DISPOSABLE_MAIL or domain.endswith((".invalid", ".test", ".local")):
        return EMAIL_KIND["disposable"]
    if domain in FREE_MAIL:
        return EMAIL_KIND["free"]
    return EMAIL_KIND["other"]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return ""


def _metadata_measures(ctx: ArtifactContext) -> dict[str, float]:
    meta, kw = ctx.metadata, ctx.setup_kwargs
    desc = _text(meta.get("description")) or _text(kw.get("long_description"))
    summary = _text(meta.get("summary")) or _text(kw.get("description"))
    author = " ".join(_text(meta.get(k)) or _text(kw.get(k)) for k in ("author", "maintainer"))
    emails = " ".join(
        _text(meta.get(k)) or _text(kw.get(k)) for k in ("author_email", "maintainer_email")
    )
    urls = len(meta.get("project_urls") or {}) + bool(meta.get("home_page") or kw.get("url"))
    requires = meta.get("requires_dist") or kw.get("install_requires") or []
    out = {
        "metadata.present": float(bool(meta)),
        "metadata.unparsed": float(len(ctx.metadata_raw)),
        "meta.description_len": float(len(desc.strip())),
        "meta.summary_len": float(len(summary.strip())),
        "meta.author_missing": float(not author.strip() and not emails.strip()),
        "meta.email_kind": float(email_kind(emails)),
        "meta.urls": float(urls),
        "meta.classifiers": float(len(meta.get("classifiers") or kw.get("classifiers") or [])),
        "meta.requires": float(len(requires) if isinstance(requires, list) else 0),
        "meta.license": float(
            bool(
                _text(meta.get("license"))
                or meta.get("license_expression")
                or _text(kw.get("license"))
            )
        ),  # fmt: skip
    }
    version = _text(meta.get("version")) or _text(kw.get("version")) or (ctx.artifact.version or "")
    out.update(_version_measures(version.strip()))
    out.update(_name_measures(ctx))
    return out


def _name_measures(ctx: ArtifactContext) -> dict[str, float]:
    """Name features say *how* a name relates to popular ones, never which name it is."""
    from douane.analysis import names

    # Names only: without its files, the context gives the same names and matches but no line
    # numbers, which would cost a walk over every file of the release (twice) to find.
    bare = replace(ctx, files=[])
    canon = {names.canonical(n) for n, _, _ in names.project_names(bare)}
    out = {"meta.name_mismatch": float(len(canon) > 1), "name.imitation": 0.0,
           "name.target_rank": 0.0, "name.internal": 0.0}  # fmt: skip
    try:
        best = names.best_match(bare)
    except (ValueError, OSError):
        best = None
    if best is not None:
        out["name.imitation"] = float(int(best[0].tier) + 1)
        out["name.target_rank"] = math.log10(max(best[0].target_rank, 1)) + 1.0
    out["name.internal"] = float(any(names.looks_internal(n) for n in canon))
    return out


_REL_PATH = attrgetter("rel_path")
_FILE_TYPE = attrgetter("file_type")
_MEMBER = attrgetter("member")
_SIZE = attrgetter("size")
_DATA = attrgetter("data")


def _structure_measures(ctx: ArtifactContext) -> dict[str, float]:
    # Releases hold thousands of files, so each measure is one pass in C (map, count,
    # compress) over the files' paths, types and members; Python looks only at the few files
    # that can be an entry point, setup.py, or a native executable.
    files = ctx.files
    n = len(files)
    paths = list(map(_REL_PATH, files))
    types = list(map(_FILE_TYPE, files))  # FileType members: equal only when identical
    members = list(map(_MEMBER, files))
    sizes = list(map(_SIZE, members))
    slashes = list(map(str.count, paths, repeat("/")))
    n_py = types.count(FileType.PYTHON)
    entry: list[bytes] = []  # .pth files and top-level __init__.py outside tests, in file order
    maybe = map(gt, repeat(2), slashes)  # _ENTRY_INIT needs at most one "/"
    if FileType.PTH in types:
        maybe = map(or_, maybe, map(is_, types, repeat(FileType.PTH)))
    for f in compress(files, maybe):
        if f.file_type is FileType.PTH or (
            f.file_type is FileType.PYTHON and f.rel_path != "setup.py"
            and _ENTRY_INIT.match(f.rel_path) and f.where is not Where.TEST
        ):  # fmt: skip
            entry.append(f.member.data[:ENTRY_MAX_BYTES])
    setup = None  # the last Python file named setup.py
    at = -1
    for _ in range(paths.count("setup.py")):
        at = paths.index("setup.py", at + 1)
        if files[at].file_type is FileType.PYTHON:
            setup = files[at]
    binary = 0  # native executables by magic bytes, unless their name says otherwise
    heads = map(_HEAD2, map(_DATA, members))
    for at in compress(range(n), map(_MAGIC_HEADS.__contains__, heads)):
        lower = paths[at].lower()
        if members[at].data[:4].startswith(_BINARY_MAGIC) and not lower.endswith(_COMPILED):
            binary += not lower.endswith(_NOT_BINARY)
    out = {
        "files.count": float(n),
        "files.python": float(n_py),
        "files.python_share": n_py / n if n else 0.0,
        "files.max_depth": float(max(slashes, default=0)),
        "files.pth": float(types.count(FileType.PTH)),
        "files.binary": float(binary),
        "files.pyc": float(list(map(_COMPILED_TAILS.__contains__, map(_TAIL4, paths))).count(True)),
        "files.scripts": float(types.count(FileType.SHELL) + types.count(FileType.WINDOWS_SCRIPT)),
        "files.javascript": float(types.count(FileType.JAVASCRIPT)),
        "bytes.total": float(sum(sizes)),
        "bytes.python": float(sum(compress(sizes, map(is_, types, repeat(FileType.PYTHON))))),
        "archive.issues": float(len(ctx.opened.issues)),
        "setup.present": float(setup is not None),
        "entry.files": float(len(entry)),
        "entry.bytes": float(sum(len(e) for e in entry)),
        "entry.max_line": float(max((_max_line(e) for e in entry), default=0)),
        "entry.long_token": float(max((_long_token(e) for e in entry), default=0)),
        "entry.entropy": max((_entropy(e) for e in entry), default=0.0),
    }
    early = {m for e in entry for m in _imports(e.decode("utf-8", "replace"))}
    if setup is not None:
        data = setup.member.data[:ENTRY_MAX_BYTES]
        text = data.decode("utf-8", "replace")
        mods = _imports(text)
        early.update(mods)
        out.update({
            "setup.bytes": float(setup.member.size),
            "setup.lines": float(_non_blank_lines(data)),
            "setup.defs": float(_count_statements(_DEF_RE, data)),
            "setup.classes": float(_count_statements(_CLASS_RE, data)),
            "setup.imports": float(len(mods)),
            "setup.unusual_imports": float(len({m for m in mods if m not in SETUP_USUAL})),
            "setup.cmdclass": float("cmdclass" in text),
            "setup.calls_setup": float(_calls_setup(text)),
            "setup.kwargs": float(len([k for k in ctx.setup_kwargs if not k.startswith("_")])),
            "setup.max_line": float(_max_line(data)),
            "setup.long_token": float(_long_token(data)),
            "setup.entropy": _entropy(data),
        })  # fmt: skip
    for kind, mods in IMPORT_KINDS.items():
        out[f"early_import.{kind}"] = float(len(early & mods))
    return out


def summarise(findings: Sequence[Finding], context: ArtifactContext) -> Summary:
    """Everything the features need from one scan, small enough to cache as one JSON line."""
    from douane.scoring.verdict import rules_score

    files: dict[str, int] = {}
    rows = []
    for f in findings:
        idx = files.setdefault(f.file, len(files))
        rows.append((f.rule, int(f.severity), int(f.confidence), str(f.where), idx))
    measures = _structure_measures(context)
    measures.update(_metadata_measures(context))
    return Summary(findings=tuple(rows), measures=measures, rules_score=rules_score(findings)[0])


# -- features from a summary -------------------------------------------------------------------


def _rank(where: str) -> int:
    return WHERE_RANK.get(_WHERE_CODE.get(where, Where.OTHER), 3)


def features(summary: Summary) -> dict[str, float]:
    """The feature dict of one artifact (names from :func:`feature_table`; absent → 0)."""
    rules = load_all()
    out: dict[str, float] = dict(summary.measures)
    out["rules.score"] = summary.rules_score
    by_where = {"install": 0, "import": 0, "function": 0, "test": 0, "other": 0}
    sev_max = {"": 0, "install": 0, "import": 0, "function": 0}
    sev_hc = 0
    file_tags: dict[int, dict[Tag, int]] = {}
    art_tags: dict[Tag, int] = {}
    per_file: dict[int, int] = {}
    fam: dict[str, int] = {}
    for rule_id, sev, conf, where, fidx in summary.findings:
        rank = _rank(where)
        key = where if where in by_where else "other"
        by_where[key] += 1
        s = sev + 1
        sev_max[""] = max(sev_max[""], s)
        if where in sev_max:
            sev_max[where] = max(sev_max[where], s)
        rk = f"rule.{rule_id}"
        out[rk] = max(out.get(rk, 0.0), float(rank))
        out[rk + ".severity"] = max(out.get(rk + ".severity", 0.0), float(s))
        if where == "test":
            continue
        if conf >= Confidence.HIGH:
            sev_hc = max(sev_hc, s)
        per_file[fidx] = per_file.get(fidx, 0) + 1
        rule = rules.get(rule_id)
        if rule is not None:
            fam[str(rule.family)] = fam.get(str(rule.family), 0) + 1
            tags = file_tags.setdefault(fidx, {})
            for t in rule.tags:
                tags[t] = max(tags.get(t, 0), rank)
                art_tags[t] = max(art_tags.get(t, 0), rank)
    for k, v in by_where.items():
        out[f"findings.{k}"] = float(v)
    out["severity.max"] = float(sev_max[""])
    for k in ("install", "import", "function"):
        out[f"severity.max_{k}"] = float(sev_max[k])
    out["severity.high_confidence"] = float(sev_hc)
    out["findings.files"] = float(len(per_file))
    out["findings.max_per_file"] = float(max(per_file.values(), default=0))
    for f, c in fam.items():
        out[f"family.{f}"] = float(c)
    for t, r in art_tags.items():
        out[f"tag.{t}"] = float(r)
    out["tags.distinct"] = float(len(art_tags))
    out["tags.distinct_early"] = float(sum(1 for r in art_tags.values() if r >= 4))
    for name, need, _ in COMBOS:
        best = 0
        for tags in file_tags.values():
            if need <= tags.keys():
                best = max(best, min(tags[t] for t in need))
        out[f"combo.{name}"] = float(best)
        if name in ARTIFACT_COMBOS and need <= art_tags.keys():
            out[f"combo.{name}.any"] = float(min(art_tags[t] for t in need))
    return out


def vector(feats: dict[str, float], names: Iterable[str]) -> list[float]:
    """Values in the model's order; a name the summary lacks reads as 0."""
    return list(map(feats.get, names, repeat(ZERO_DEFAULT)))


def ruleset_fingerprint() -> str:
    """Which rules exist (ids only): summaries of tuned rules share it, of added ones do not."""
    import hashlib

    ids = ",".join(sorted(load_all()))
    return hashlib.sha256(ids.encode()).hexdigest()[:12]


def summary_fingerprint() -> str:
    """What produced a summary: the rules, the archive reader, the shipped data and this
    module's measurements. A cached summary with another fingerprint came from other code."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"summary-v{SUMMARY_VERSION}".encode())
    for sub in ("analysis", "archive", "data"):
        for path in sorted((root / sub).glob("*")):
            if path.is_file() and path.suffix in (".py", ".txt", ".json", ".csv"):
                h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update((root / "scoring" / "verdict.py").read_bytes())
    return h.hexdigest()[:16]
