"""Typosquatting rules (DOU11xx): project names that imitate a popular project's name.

Attackers publish under a name one slip away from a project people install every day, so
that a typo (``reqeusts``), a look-alike (``requ1ests``), a plausible variant (``python-requests``,
``requests-sdk``) or the project's *import* name (``sklearn``) installs their code instead. The
code of such a release may be plain; the name is the evidence, so these are artifact rules.

Everything is compared against the shipped list of popular projects (``data/popular-pypi.txt``,
rebuilt by ``douane popular refresh``), after PEP 503 normalisation. The index over that list is
built once per process (:func:`popular_index`) and each distinct name is classified once
(:func:`match_name`, cached), so the cost per artifact is a few dictionary lookups plus one
rapidfuzz search over the names of similar length.

A name that is itself popular never flags, and neither does a name that extends a popular one by
a known convention (``types-*``, ``*-stubs``, ``pytest-*`` plugins…) unless it also misspells it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from douane.analysis.interface import Hit
from douane.analysis.registry import artifact_rule
from douane.domain import Confidence, Family, Severity, Where

if TYPE_CHECKING:
    from douane.analysis.context import ArtifactContext

POPULAR_RESOURCE = "data/popular-pypi.txt"

# Well-known projects whose import name differs from their distribution name. Publishing a
# distribution under the import name (``pip install sklearn``) is a classic squat: people type
# what they import. Only pairs where the distribution is popular matter; an import name that is
# itself a popular distribution (``bs4``, ``jwt``, ``attr``) is exempt like any popular name.
IMPORT_NAMES: dict[str, str] = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "pyjwt",
    "Crypto": "pycryptodome",
    "Cryptodome": "pycryptodomex",
    "OpenSSL": "pyopenssl",
    "serial": "pyserial",
    "usb": "pyusb",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "git": "gitpython",
    "attr": "attrs",
    "zmq": "pyzmq",
    "MySQLdb": "mysqlclient",
    "win32api": "pywin32",
    "win32con": "pywin32",
    "fitz": "pymupdf",
    "telegram": "python-telegram-bot",
    "jose": "python-jose",
    "socks": "pysocks",
    "gi": "pygobject",
    "kafka": "kafka-python",
    "ldap": "python-ldap",
    "nacl": "pynacl",
    "websocket": "websocket-client",
    "dns": "dnspython",
    "faiss": "faiss-cpu",
    "google.protobuf": "protobuf",
    "slugify": "python-slugify",
    "multipart": "python-multipart",
    "Levenshtein": "levenshtein",
    "pkg_resources": "setuptools",
    "sentencepiece": "sentencepiece",
    "tensorflow_hub": "tensorflow-hub",
    "grpc": "grpcio",
    "igraph": "python-igraph",
    "lz4": "lz4",
    "markdown": "markdown",
    "mpl_toolkits": "matplotlib",
    "OpenGL": "pyopengl",
    "pyximport": "cython",
    "snappy": "python-snappy",
    "speech_recognition": "speechrecognition",
    "ruamel": "ruamel-yaml",
    "Xlib": "python-xlib",
    "wx": "wxpython",
    "xdist": "pytest-xdist",
    "psycopg2": "psycopg2-binary",
    "pygit2": "pygit2",
    "ffmpeg": "ffmpeg-python",
    "discord": "discord-py",
    "binance": "python-binance",
    "coinbase": "coinbase",
    "tls_client": "tls-client",
    "undetected_chromedriver": "undetected-chromedriver",
}

# A name starting or ending with one of these extends a host project by convention (plugins,
# stubs, companions): it is not a combosquat or an affix game of that host.
CONVENTION_PREFIXES = (
    "types-", "pytest-", "flake8-", "django-", "djangorestframework-", "sphinx-",
    "sphinxcontrib-", "mkdocs-", "flask-", "pylint-", "tox-", "hatch-", "pdm-", "poetry-",
    "jupyter-", "jupyterlab-", "napari-", "datasette-", "mypy-", "pre-commit-", "setuptools-",
    "opentelemetry-", "apache-airflow-providers-", "airflow-provider-", "llama-index-",
    "langchain-", "dbt-", "pyobjc-framework-", "odoo-addon-", "odoo14-addon-", "ckanext-",
    "collective-", "plone-", "pulumi-", "cdktf-", "streamlit-", "fastapi-", "pydantic-",
    "sqlalchemy-", "celery-", "scrapy-", "wagtail-", "mopidy-", "nonebot-plugin-", "xontrib-",
)  # fmt: skip
CONVENTION_SUFFIXES = ("-stubs", "-types", "-toolbelt", "-plugin", "-extension", "-backport",
                       "-backports", "-compat", "-mock", "-fork")  # fmt: skip

# Affixes of the "same project, other packaging" game: ``python-X``, ``X-py``, ``X3``, ``Xs``.
AFFIX_PREFIXES = ("python-", "python", "py-", "py")
AFFIX_SUFFIXES = ("-python", "-py3", "-py", "py", "-dev", "-sdk", "-lib", "2", "3", "5",
                  "-2", "-3", "-5", "s")  # fmt: skip

# Words that add nothing to a popular name but plausibility: ``requests-pro``,
# ``openai-python-sdk``. A popular name plus only these words is a combosquat.
GENERIC_WORDS = frozenset({
    "sdk", "api", "python", "py", "py3", "python3", "pro", "plus", "client", "lib", "libs",
    "library", "tools", "toolkit", "utils", "util", "helper", "helpers", "official", "latest",
    "new", "update", "updated", "fix", "fixed", "secure", "security", "core", "dev", "beta",
    "free", "premium", "v2", "v3", "2", "3", "module", "package", "pkg", "installer", "install",
    "setup", "fast", "lite", "light", "mini", "next", "extra", "extras", "full", "patch",
    "patched", "stable", "release", "dist", "wrapper",
})  # fmt: skip

# Look-alike characters on the keyboard's alphabet (after Unicode confusables are folded).
_ASCII_LOOKALIKES = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("|", "l"))
_HOMOGLYPH_PAIRS = frozenset({("1", "l"), ("i", "l"), ("1", "i"), ("0", "o"), ("5", "s")})

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_POS = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
_VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_.]+")

# Names whose last (or first) word says "internal": what a dependency-confusion probe is called
# when it copies a company's private package name.
_INTERNAL_WORDS = frozenset({"internal", "intranet", "corp", "private", "priv", "inhouse"})


class Form(StrEnum):
    """How a name imitates a popular one; each form is reported by one rule."""

    TYPO = "typo"  # swapped / doubled / missing / neighbouring-key letters
    HOMOGLYPH = "homoglyph"  # look-alike characters (l/1/I, rn/m, 0/o, Unicode confusables)
    VARIANT = "variant"  # separator games and python-/-py/2/3/-sdk/plural affixes
    COMBO = "combo"  # popular name + generic words
    IMPORT_NAME = "import-name"  # the popular project's import name used as a distribution name


class Tier(IntEnum):
    """How much a match says on its own; sets the finding's severity."""

    WEAK = 0  # a less-used target, or a form honest projects often take: low
    NORMAL = 1  # the rule's default (medium)
    STRONG = 2  # a form that is very rarely innocent, against a much-used target: critical


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A name judged to imitate ``target`` (a popular project), and how strongly."""

    name: str
    target: str
    target_rank: int  # 1 = most downloaded
    form: Form
    detail: str  # what differs, in words
    tier: Tier

    @property
    def strong(self) -> bool:
        return self.tier is Tier.STRONG


@dataclass(frozen=True)
class PopularIndex:
    """Lookups over the popular list, built once per process."""

    rank: dict[str, int]  # canonical name -> rank (1-based)
    by_length: dict[int, list[str]]  # length -> popular names of length ±2 (fuzzy search pool)
    squashed: dict[str, str]  # name without separators -> canonical popular name
    skeletons: dict[str, str]  # look-alike skeleton -> canonical popular name
    cores: dict[str, str]  # name stripped of affixes -> canonical popular name
    imports: dict[str, str]  # canonical import name -> canonical popular distribution

    def __contains__(self, name: str) -> bool:
        return name in self.rank


# -- the popular list ----------------------------------------------------------------------------


def parse_name_list(text: str) -> list[str]:
    """Project names from a one-name-a-line list (``#`` comments), or the first column of a
    TSV/CSV with a ``name`` header: the shapes top-projects exports come in. Order is kept,
    duplicates (after PEP 503 normalisation) and invalid names are dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        field = re.split(r"[\t,;]", line, maxsplit=1)[0].strip().strip('"')
        if field.lower() in ("name", "project") or not _VALID_NAME.match(field):
            continue
        canon = canonicalize_name(field)
        if canon not in seen:
            seen.add(canon)
            out.append(canon)
    return out


def popular_list_path() -> Path:
    """Where the shipped popular list lives (inside the installed package)."""
    return Path(str(resources.files("douane").joinpath(POPULAR_RESOURCE)))


def write_popular_list(
    names: Iterable[str], dest: Path, source: str, limit: int | None = None
) -> int:
    """Write the shipped list (canonical names, most popular first); returns how many."""
    names = list(names)[:limit] if limit else list(names)
    header = (
        "# Popular PyPI projects, most downloaded first, PEP 503 normalised; the reference list of\n"
        f"# douane's typosquatting rules (DOU11xx). Built by `douane popular refresh` from {source}.\n"
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_text(header + "".join(f"{n}\n" for n in names), encoding="utf-8")
    tmp.replace(dest)
    popular_index.cache_clear()
    match_name.cache_clear()
    return len(names)


def load_popular(path: Path | None = None) -> list[str]:
    """The popular names in rank order. A missing list is an error, not an empty list: an empty
    list would silently turn every typosquat into a clean result."""
    p = path or popular_list_path()
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuntimeError(f"popular-projects list unreadable ({p}): {exc}") from exc
    names = parse_name_list(text)
    if not names:
        raise RuntimeError(f"popular-projects list {p} holds no names")
    return names


# -- normalisation -------------------------------------------------------------------------------


def canonical(name: str) -> str:
    """PEP 503 normalised name: what the index itself treats as the same project."""
    return canonicalize_name(name)


def squash(name: str) -> str:
    """The name with its separators removed: ``scikit-learn`` → ``scikitlearn``."""
    return _SEPARATORS.sub("", name.lower())


@lru_cache(maxsize=1)
def _confusables() -> dict[str, Any]:
    # Loaded on first non-ASCII name only: the table is large and index names are ASCII.
    from confusable_homoglyphs.confusables import confusables_data

    return confusables_data


def fold_confusables(name: str) -> str:
    """Replace non-ASCII characters by the ASCII letter they are drawn like (Cyrillic ``е`` →
    ``e``), using the Unicode confusables table of ``confusable-homoglyphs``."""
    if name.isascii():
        return name
    table = _confusables()
    out = []
    for ch in name:
        if ch.isascii():
            out.append(ch)
            continue
        repl = ""
        for entry in table.get(ch, ()):
            glyph = entry.get("c", "")
            if glyph and glyph.isascii():
                repl = glyph
                break
        out.append(repl or ch)
    return "".join(out)


def skeleton(name: str) -> str:
    """A form where look-alike spellings coincide: Unicode confusables folded, capital ``I``
    and ``1`` → ``l``, ``0`` → ``o``, ``rn`` → ``m``, ``vv`` → ``w``, separators dropped. Case
    matters before folding: ``I`` looks like ``l`` only as a capital."""
    text = fold_confusables(name).replace("I", "l").lower()
    text = squash(text)
    for a, b in _ASCII_LOOKALIKES:
        text = text.replace(a, b)
    return text


def _affix_cores(name: str) -> set[str]:
    """The canonical name with one known prefix and/or suffix removed (cores of 4+ letters)."""
    heads = [name]
    for p in AFFIX_PREFIXES:
        if name.startswith(p) and len(name) - len(p) >= 4:
            heads.append(name[len(p) :].lstrip("-"))
    out = set(heads)
    for h in heads:
        for s in AFFIX_SUFFIXES:
            if h.endswith(s) and len(h) - len(s) >= 4:
                if s == "s" and h[-2] in "su":
                    continue  # "class", "status" are not plurals
                out.add(h[: -len(s)].rstrip("-"))
    return out


def keys_adjacent(a: str, b: str) -> bool:
    """Neighbouring keys on a QWERTY keyboard (rows are staggered half a key to the right)."""
    pa, pb = _KEY_POS.get(a), _KEY_POS.get(b)
    if pa is None or pb is None or a == b:
        return False
    if pa[0] == pb[0]:
        return abs(pa[1] - pb[1]) == 1
    if abs(pa[0] - pb[0]) != 1:
        return False
    upper, lower = (pa, pb) if pa[0] < pb[0] else (pb, pa)
    return upper[1] - 1 <= lower[1] <= upper[1]


# -- the index ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def popular_index() -> PopularIndex:
    """Build the lookups once per process (about 0.2 s for 15,000 names)."""
    return build_index(load_popular())


def build_index(names: list[str]) -> PopularIndex:
    """Lookups over ``names`` (canonical, most popular first)."""
    rank: dict[str, int] = {}
    by_length: dict[int, list[str]] = {}
    squashed: dict[str, str] = {}
    skeletons: dict[str, str] = {}
    cores: dict[str, str] = {}
    for i, n in enumerate(names, 1):
        if n in rank:
            continue
        rank[n] = i
        if len(n) >= TYPO_MIN_LEN:
            by_length.setdefault(len(n), []).append(n)
        sq = n.replace("-", "")
        squashed.setdefault(sq, n)
        skel = sq
        for a, b in _ASCII_LOOKALIKES:
            if a in skel:
                skel = skel.replace(a, b)
        skeletons.setdefault(skel, n)
        for c in _affix_cores(n):
            cores.setdefault(c, n)
    pools = {
        length: [c for k in range(length - 2, length + 3) for c in by_length.get(k, ())]
        for length in range(TYPO_MIN_LEN, max(by_length, default=0) + 3)
    }
    imports = {
        canonical(imp): canonical(dist)
        for imp, dist in IMPORT_NAMES.items()
        if canonical(dist) in rank and canonical(imp) != canonical(dist)
    }
    return PopularIndex(rank, pools, squashed, skeletons, cores, imports)


# -- classification ------------------------------------------------------------------------------

# Thresholds, measured with benchmarks/typosquat_rate.py (popular list vs long-tail list).
TYPO_MAX_COST = 0.75  # one slip; two slips only when one of them is a look-alike character
TYPO_MIN_LEN = 5  # shorter popular names are one letter away from hundreds of real projects
STRONG_RANK = 1000  # the most-used projects: the ones squatters aim at
NORMAL_RANK = 5000
COMBO_RANK = 2000


def _is_convention_extension(name: str) -> bool:
    return name.startswith(CONVENTION_PREFIXES) or name.endswith(CONVENTION_SUFFIXES)


def _in_short_token(name: str, pos: int) -> bool:
    """Is ``pos`` inside a word of 3 letters or fewer of a multi-word name? Such words are
    abbreviations (``-sms``/``-sns``, ``hs-``/``ha-``): changing one names another thing."""
    if "-" not in name:
        return False
    start = name.rfind("-", 0, pos) + 1
    stop = name.find("-", pos)
    stop = len(name) if stop < 0 else stop
    return stop - start <= 3


def _describe_one_edit(n: str, p: str) -> tuple[float, str] | None:
    """Cost (lower = more typo-like) and description of the single edit turning ``p`` into
    ``n``; None for edits that name a different thing rather than mistype (digit changes)."""
    ops = Levenshtein.editops(p, n)
    if len(ops) == 2 and len(n) == len(p):  # OSA distance 1 but Levenshtein 2: a swap
        i = next(k for k in range(len(p)) if p[k] != n[k])
        if _in_short_token(p, i):
            return None
        return 0.5, f"swapped letters '{p[i : i + 2]}' → '{n[i : i + 2]}'"
    if len(ops) != 1:
        return None
    op = ops[0]
    if _in_short_token(p, min(op.src_pos, len(p) - 1)):
        return None
    at_end = op.src_pos >= len(p) - (0 if op.tag == "insert" else 1)
    # a slip on the first letter is rarer than one inside the word, and often another word
    first = 0.25 if op.src_pos == 0 else 0.0
    if op.tag == "replace":
        a, b = p[op.src_pos], n[op.dest_pos]
        if a.isdigit() and b.isdigit():
            return None  # pyqt5 / pyqt6: a different project, not a typo
        if (a, b) in _HOMOGLYPH_PAIRS or (b, a) in _HOMOGLYPH_PAIRS:
            return 0.25, f"look-alike '{b}' for '{a}'"
        if "-" in (a, b):
            return 1.0, f"'{b}' for '{a}'"
        if keys_adjacent(a, b):
            return 0.5 + first, f"neighbouring key '{b}' for '{a}'"
        return 1.0, f"'{b}' for '{a}'"
    if op.tag == "insert":
        c = n[op.dest_pos]
        before = n[op.dest_pos - 1] if op.dest_pos > 0 else ""
        after = n[op.dest_pos + 1] if op.dest_pos + 1 < len(n) else ""
        if c.isdigit() or c == "-":
            return None  # digits and separators are the VARIANT form's business
        if c in (before, after):
            return 0.5, f"doubled letter '{c}'"
        if at_end:
            return None  # a letter added at the end makes another word (``networkx``)
        if keys_adjacent(c, before) or keys_adjacent(c, after):
            return 0.6 + first, f"extra neighbouring key '{c}'"
        return 0.9, f"extra letter '{c}'"
    # delete: n misses a letter of p
    c = p[op.src_pos]
    if c.isdigit() or c == "-":
        return None
    before = p[op.src_pos - 1] if op.src_pos > 0 else ""
    after = p[op.src_pos + 1] if op.src_pos + 1 < len(p) else ""
    if c in (before, after):
        return 0.5, f"missing doubled letter '{c}'"
    if at_end:
        return None  # ``networkx`` → ``network`` is a word of its own
    return (0.5 if len(p) >= 8 and not first else 0.75), f"missing letter '{c}'"


def _typo_cost(n: str, p: str) -> tuple[float, str] | None:
    d = OSA.distance(n, p, score_cutoff=2)
    if d == 1:
        return _describe_one_edit(n, p)
    if d != 2 or len(p) < 8:
        return None
    # two independent slips: both must be typo-like, and together still cheap
    ops = Levenshtein.editops(p, n)
    if len(ops) != 2:
        return None
    mid = ops[:1].apply(p, n)
    first, second = _describe_one_edit(mid, p), _describe_one_edit(n, mid)
    if first is None or second is None:
        return None
    return first[0] + second[0], f"{first[1]} and {second[1]}"


def _tier(rank: int, strong_if: bool = True) -> Tier:
    if rank <= STRONG_RANK and strong_if:
        return Tier.STRONG
    return Tier.NORMAL if rank <= NORMAL_RANK else Tier.WEAK


def classify(name: str, idx: PopularIndex, *, exempt_known: bool = True) -> NameMatch | None:
    """How ``name`` imitates a name of ``idx``, or None. ``exempt_known=False`` judges a popular
    name against the *other* popular names (the benchmark's leave-one-out measurement)."""
    n = canonical(name)
    if not n or (exempt_known and n in idx):
        return None
    # 1. look-alike characters (the raw spelling matters: capital I vs l)
    p = idx.skeletons.get(skeleton(name))
    if p is not None and p != n and squash(p) != squash(n):
        what = "Unicode look-alike characters" if not name.isascii() else "look-alike characters"
        r = idx.rank[p]
        tier = Tier.STRONG if r <= NORMAL_RANK else Tier.NORMAL
        return NameMatch(name, p, r, Form.HOMOGLYPH, what, tier)
    # 2. the import name of a popular project
    p = idx.imports.get(n)
    if p is not None:
        return NameMatch(name, p, idx.rank[p], Form.IMPORT_NAME,
                         f"`{name}` is what `{p}` is imported as", Tier.STRONG)  # fmt: skip
    # 3. separator games: same letters, other separators
    p = idx.squashed.get(squash(n))
    if p is not None and p != n:
        r = idx.rank[p]
        return NameMatch(name, p, r, Form.VARIANT, "same letters, other separators", _tier(r))
    # 4. typos against popular names of similar length
    best: tuple[float, int, str, str] | None = None  # (cost, rank, target, detail)
    pool = idx.by_length.get(len(n))
    if pool:
        for cand, _dist, _ in process.extract(n, pool, scorer=Levenshtein.distance,
                                              score_cutoff=2, limit=None):  # fmt: skip
            got = _typo_cost(n, cand)
            if got is None or got[0] > TYPO_MAX_COST:
                continue
            key = (got[0], idx.rank[cand], cand, got[1])
            if best is None or key < best:
                best = key
    if best is not None:
        cost, r, p, detail = best
        form = Form.HOMOGLYPH if detail.startswith("look-alike") else Form.TYPO
        return NameMatch(name, p, r, form, detail, _tier(r, cost <= 0.5 and len(p) >= 6))
    if _is_convention_extension(n):
        return None
    # 5. affix games: python-X, X-py, X3, Xs, X-sdk (an affix added to the popular name or
    # swapped for another). Only dropping one is left out: ``pysnow`` → ``snow`` is a word.
    for core in sorted(_affix_cores(n) - {n}, key=len):
        p = idx.cores.get(core)
        if p is not None and p != n:
            r = idx.rank[p]
            return NameMatch(name, p, r, Form.VARIANT,
                             f"`{p}` with a prefix or suffix added or changed",
                             Tier.NORMAL if r <= STRONG_RANK else Tier.WEAK)  # fmt: skip
    p = n + "s"
    if p in idx and idx.rank[p] <= STRONG_RANK:
        return NameMatch(name, p, idx.rank[p], Form.VARIANT, "the plural `s` dropped", Tier.WEAK)
    # 6. combosquats: a popular name plus generic words only
    tokens = n.split("-")
    for i in range(len(tokens)):
        for j in range(len(tokens), i, -1):
            if j - i == len(tokens):
                continue
            span = "-".join(tokens[i:j])
            p = span if span in idx else idx.squashed.get(span.replace("-", ""))
            if p is None or idx.rank[p] > COMBO_RANK or len(span) < 4:
                continue
            rest = tokens[:i] + tokens[j:]
            if all(t in GENERIC_WORDS for t in rest):
                return NameMatch(name, p, idx.rank[p], Form.COMBO,
                                 f"`{p}` plus generic word(s) {', '.join(rest)}",
                                 Tier.NORMAL)  # fmt: skip
    return None


@lru_cache(maxsize=8192)
def match_name(name: str) -> NameMatch | None:
    """Whether ``name`` imitates a popular project, and how (None: it does not)."""
    if not name or len(name) > 200:
        return None
    return classify(name.strip(), popular_index())


def looks_internal(name: str) -> str | None:
    """The word that makes ``name`` read like a company's private package (``acme-internal``,
    ``internal-billing``), or None."""
    tokens = canonical(name).split("-")
    if len(tokens) < 2:
        return None
    for t in (tokens[-1], tokens[0]):
        if t in _INTERNAL_WORDS:
            return t
    return None


# -- where the name comes from -----------------------------------------------------------------


def _metadata_name_line(ctx: ArtifactContext) -> int | None:
    path = ctx.metadata.get("_file")
    for f in ctx.files:
        if f.path == path:
            for i, line in enumerate(f.lines[:200], 1):
                if line.lower().startswith("name:"):
                    return i
    return None


def _setup_name_line(ctx: ArtifactContext) -> int | None:
    f = ctx.file("setup.py")
    if f is None:
        return ctx.setup_kwargs.get("_line")
    for i, line in enumerate(f.lines, 1):
        if re.search(r"\bname\s*=", line):
            return i
    return ctx.setup_kwargs.get("_line")


def project_names(ctx: ArtifactContext) -> Iterator[tuple[str, str, int | None]]:
    """The project's names, most authoritative first, with where each was read: the metadata
    ``Name`` (the real distribution name of an sdist or wheel), the index name, the setup()
    ``name=``. They normally agree; when they do not, each is judged."""
    seen: set[str] = set()
    meta = ctx.metadata.get("name")
    if isinstance(meta, str) and meta.strip():
        seen.add(meta.strip())
        yield meta.strip(), str(ctx.metadata.get("_file", "PKG-INFO")), _metadata_name_line(ctx)
    art = ctx.artifact.name
    if art and art.strip() not in seen:
        seen.add(art.strip())
        yield art.strip(), ctx.artifact.filename, None
    setup = ctx.setup_kwargs.get("name")
    if isinstance(setup, str) and setup.strip() and setup.strip() not in seen:
        yield setup.strip(), "setup.py", _setup_name_line(ctx)


_TIER_SEVERITY = {Tier.STRONG: Severity.CRITICAL, Tier.NORMAL: None, Tier.WEAK: Severity.LOW}


def best_match(ctx: ArtifactContext) -> tuple[NameMatch, str, int | None] | None:
    """The strongest imitation among the project's names, with the file and line it was read
    from (the metadata ``Name:`` line when it came from there)."""
    best: tuple[NameMatch, str, int | None] | None = None
    for name, file, line in project_names(ctx):
        m = match_name(name)
        if m is not None and (best is None or (m.tier, -m.target_rank) > (best[0].tier, -best[0].target_rank)):  # fmt: skip
            best = (m, file, line)
    return best


def _hit(ctx: ArtifactContext, form: Form, what: str) -> Iterator[Hit]:
    found = best_match(ctx)
    if found is None or found[0].form is not form:
        return
    m, file, line = found
    yield Hit(
        message=f"project name `{m.name}` {what} `{m.target}` (popular project "
        f"#{m.target_rank}): {m.detail}",
        line=line,
        snippet=f"Name: {m.name}",
        file=file,
        where=Where.METADATA,
        severity=_TIER_SEVERITY[m.tier],
    )


# -- rules -------------------------------------------------------------------------------------


@artifact_rule(
    "DOU1101",
    "name_typo_of_popular_project",
    family=Family.TYPOSQUATTING,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
)
def name_typo_of_popular_project(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a project name one slip away from a popular project's name: two
    letters swapped, a letter doubled or missing, a neighbouring key struck (``reqeusts``,
    ``numpyy``, ``djnago``), judged with rapidfuzz edit distance weighted by how typo-like the
    edit is.

    Why it matters: typosquatting is the most common way malware reaches developers: the
    attacker's code runs for everyone who mistypes ``pip install``. The release's code may look
    plain, so the name is the evidence. Severity is raised (critical, scoring ``suspicious``
    on its own) for the cheapest slips of the 1,000 most-used projects; other matches are medium
    and only add weight to what the code shows.

    Example: ``Name: reqeusts`` in PKG-INFO (``requests`` with ``e`` and ``u`` swapped).

    References: Vu et al., "Typosquatting and combosquatting attacks on the Python ecosystem"
    (2020).
    """
    yield from _hit(ctx, Form.TYPO, "is one slip from")


@artifact_rule(
    "DOU1102",
    "name_homoglyph_of_popular_project",
    family=Family.TYPOSQUATTING,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
)
def name_homoglyph_of_popular_project(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a project name that reads like a popular one because of look-alike
    characters: ``l``/``1``/``I``, ``rn``/``m``, ``0``/``o``, ``vv``/``w``, and Unicode
    confusables (Cyrillic ``е`` for Latin ``e``) from the ``confusable-homoglyphs`` table.

    Why it matters: a look-alike survives code review and a glance at a requirements file;
    nobody picks such a name by accident.

    Example: ``Name: requ1ests`` or ``Name: djang0``.
    """
    yield from _hit(ctx, Form.HOMOGLYPH, "looks like")


@artifact_rule(
    "DOU1103",
    "name_variant_of_popular_project",
    family=Family.TYPOSQUATTING,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
)
def name_variant_of_popular_project(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a project name that is a popular project's name with other
    separators (``scikitlearn``, ``python_dateutil2``) or with a packaging-style prefix or
    suffix added, removed or changed (``python-requests``, ``requests-py``, ``pyyaml3``,
    ``boto3-sdk``, ``request``/``requests``).

    Why it matters: these read like the official package for another Python version or
    platform, which is exactly what a hurried developer looks for. Forks and wrappers are
    also named this way, so a plain affix is medium; a pure separator change of a top-1,000
    project is critical.

    Example: ``Name: python-requests``.
    """
    yield from _hit(ctx, Form.VARIANT, "is a variant of")


@artifact_rule(
    "DOU1104",
    "name_combines_popular_project_with_generic_word",
    family=Family.TYPOSQUATTING,
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
)
def name_combines_popular_project_with_generic_word(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a name made of a top-2,000 project's name and only generic words
    (``requests-pro``, ``openai-python-sdk``, ``numpy-utils-latest``). Names extending a host
    by convention (``types-*``, ``*-stubs``, ``pytest-*``, ``django-*``…) are not flagged.

    Why it matters: combosquats borrow a project's reputation with a word that sounds official
    or helpful. Many honest helper packages are named this way too, so this is weak evidence
    (medium severity, low confidence) that matters with what the code does.

    Example: ``Name: openai-python-sdk``.
    """
    yield from _hit(ctx, Form.COMBO, "combines")


@artifact_rule(
    "DOU1105",
    "name_is_import_name_of_popular_project",
    family=Family.TYPOSQUATTING,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
)
def name_is_import_name_of_popular_project(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a distribution named after the *import* name of a popular project
    whose distribution name differs (``sklearn`` → ``scikit-learn``, ``cv2`` →
    ``opencv-python``, ``PIL`` → ``pillow``, ``yaml`` → ``pyyaml``, ``dateutil`` →
    ``python-dateutil``; the table is ``IMPORT_NAMES`` in ``douane.analysis.names``). Import
    names that are themselves popular distributions (``bs4``, ``jwt``) are not flagged.

    Why it matters: developers type what they import; ``pip install cv2`` installs whatever
    sits under that name.

    Example: ``Name: dateutil``.
    """
    yield from _hit(ctx, Form.IMPORT_NAME, "is the import name of")


@artifact_rule(
    "DOU1106",
    "name_reads_like_internal_package",
    family=Family.TYPOSQUATTING,
    severity=Severity.LOW,
    confidence=Confidence.LOW,
)
def name_reads_like_internal_package(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: notes a public project whose name begins or ends with a word that marks a
    company's private package (``internal``, ``intranet``, ``corp``, ``private``, ``inhouse``):
    ``acme-internal``, ``internal-billing-client``.

    Why it matters: dependency confusion publishes a company's *private* package name on the
    public index, with a higher version, so that installers pick it. Honest public projects are
    rarely named "internal", but it happens, so this is a low-weight note.

    Example: ``Name: acme-internal``.
    """
    for name, file, line in project_names(ctx):
        word = looks_internal(name)
        if word is not None:
            yield Hit(message=f"project name `{name}` ends or begins with `{word}`, like a "
                      "company's private package", line=line, snippet=f"Name: {name}",
                      file=file, where=Where.METADATA)  # fmt: skip
            return


# -- first release with a very high version -----------------------------------------------------

# Measured on the 30,000 long-tail projects (benchmarks note in issue 6): at "major >= 10" the
# rule fired on 89 single-release projects, 55 of them Odoo add-ons (their versions start
# with the Odoo series, 17.0.1.0.0) and others continuing an upstream's numbering (14.12.4,
# 19.0.0.dev1) or a date (20260508.0). Confusion probes sit at 50 and above (66.0.3, 99.x,
# 100.100.100, 999.9.9, 9999.99.99).
HIGH_FIRST_VERSION = 50
MAX_PROBE_SEGMENTS = 4  # 5+ release numbers are a scheme of their own (Odoo: series.x.y.z.w)


def prior_release_count(ctx: ArtifactContext) -> int | None:
    """How many releases the index held before this one (``Artifact.prior_releases``, set by
    the index source from the project's release list); None when unknown (local files,
    dataset samples), which keeps the history rule silent."""
    value = ctx.artifact.prior_releases
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _is_calendar_version(v: Version) -> bool:
    """Dates and build stamps (2024.6, 24.06, 20260508, 1606.02.01, a Unix time), but not the
    all-nines numbers a confusion probe picks (9999.99.99)."""
    rel = v.release or (0,)
    if rel[0] >= 1000:
        return set(str(rel[0])) != {"9"}
    return len(rel) > 1 and 20 <= rel[0] <= 40 and 1 <= rel[1] <= 12  # YY.MM


def is_high_first_version(raw: str) -> bool:
    """DOU1107's version test alone (the history check aside), so what measures the rule's
    rate on project lists applies exactly the rule's own test."""
    try:
        v = Version(raw)
    except InvalidVersion:
        return False
    major = v.release[0] if v.release else 0
    return (
        major >= HIGH_FIRST_VERSION
        and not _is_calendar_version(v)
        and len(v.release) <= MAX_PROBE_SEGMENTS
    )


@artifact_rule(
    "DOU1107",
    "first_release_with_high_version",
    family=Family.TYPOSQUATTING,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
)
def first_release_with_high_version(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags the first release a project ever published when its version is
    already high (major 50 or more; not a date or build stamp like 2024.1, 24.06 or 20260508,
    nor a five-part scheme like Odoo's 17.0.1.0.0): ``99.0.0``, ``66.0.3``. It needs the project's history, so it speaks only for files resolved from the
    index (which says how many releases came before); local files and dataset samples are
    never flagged by it. An established project at ``99.x`` is not flagged (DOU1003 still
    notes its all-nines version, whatever the history).

    Why it matters: dependency confusion needs the public copy of a company's private package
    name to win the version comparison, so the probe is published once, as a brand-new
    project, with an inflated version. Honest projects start low.

    Example: the index lists one release of ``acme-billing-client``, ``99.0.0``.
    """
    if prior_release_count(ctx) != 0:
        return
    raw = ctx.artifact.version or ctx.metadata.get("version")
    if not isinstance(raw, str):
        return
    if not is_high_first_version(raw):
        return
    v = Version(raw)
    yield Hit(message=f"first release of the project on the index, already at version {v}",
              snippet=f"Version: {raw}", file=ctx.artifact.filename, where=Where.METADATA)  # fmt: skip
