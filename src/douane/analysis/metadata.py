"""Metadata rules (DOU10xx): what a release says about itself in PKG-INFO/METADATA and setup().

These rules support a verdict; they never make one. Many honest small projects have no
description, an odd version or a personal e-mail address. What they add is context for the
code rules: a `999.0.0` release that runs code at install time is a dependency-confusion
probe; a typo of `requests` that points its home page at `psf/requests` is borrowing trust.

The reference lists are data files in ``douane/data``: disposable e-mail domains, known
malicious project names, and the popular-project list shared with the typosquatting rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from email.utils import getaddresses
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from douane.analysis.context import ArtifactContext
from douane.analysis.interface import Hit
from douane.analysis.registry import artifact_rule
from douane.domain import Confidence, Family, Severity, Where, snip

POPULAR_ENV = "DOUANE_POPULAR_LIST"
KNOWN_MALICIOUS_ENV = "DOUANE_KNOWN_MALICIOUS"
DATA = "data"  # folder inside the douane package


# -- reference lists ---------------------------------------------------------------------------


def read_names(lines: Iterable[str]) -> frozenset[str]:
    """Canonical project names from text lines (``#`` comments, blanks and a TSV tail ignored)."""
    out = set()
    for raw in lines:
        line = raw.split("#", 1)[0].strip().split("\t", 1)[0].strip()
        if line:
            out.add(canonicalize_name(line))
    return frozenset(out)


def _data_lines(name: str) -> list[str] | None:
    try:
        return (
            resources.files("douane").joinpath(DATA, name).read_text(encoding="utf-8").splitlines()
        )
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None


@lru_cache(maxsize=8)
def popular_projects(path: str | None = None) -> frozenset[str]:
    """The popular-project list: ``path``, else ``$DOUANE_POPULAR_LIST``, else the shipped
    ``data/popular-pypi.txt``, else ``top-pypi.txt`` in the ``shared`` folder beside a
    checkout. Empty (rules relying on it stay quiet) when none can be read."""
    candidates = [path, os.environ.get(POPULAR_ENV)]
    for cand in candidates:
        if cand:
            try:
                return read_names(Path(cand).read_text(encoding="utf-8").splitlines())
            except OSError:
                continue
    shipped = _data_lines("popular-pypi.txt")
    if shipped:
        return read_names(shipped)
    beside = Path(__file__).resolve().parents[3].parent / "shared" / "top-pypi.txt"
    try:
        return read_names(beside.read_text(encoding="utf-8").splitlines())
    except OSError:
        return frozenset()


def known_malicious(path: str | None = None) -> frozenset[str]:
    """Names of projects reported as malware: ``path``, ``$DOUANE_KNOWN_MALICIOUS``, or the
    shipped ``data/known_malicious.txt`` (the variable is read at each call, the file once)."""
    return _known_malicious(path or os.environ.get(KNOWN_MALICIOUS_ENV))


@lru_cache(maxsize=8)
def _known_malicious(path: str | None) -> frozenset[str]:
    if path:
        try:
            return read_names(Path(path).read_text(encoding="utf-8").splitlines())
        except OSError:
            pass
    return read_names(_data_lines("known_malicious.txt") or [])


def build_known_malicious(reported: Iterable[str], legitimate: Iterable[str] = ()) -> list[str]:
    """The known-malicious list from a feed of reported names (e.g. the package names of OSV
    ``MAL-`` advisories), minus names that are also legitimate projects (popular or long-tail
    lists, internal names seen in dependency-confusion reports). Sorted canonical names.

    Refresh: ``douane dataset known-malicious OSV_DIR [--legitimate longtail.tsv]``.
    """
    legit = {canonicalize_name(n) for n in legitimate}
    names = {canonicalize_name(n.strip()) for n in reported if n and n.strip()}
    return sorted(n for n in names if n and n not in legit)


def write_known_malicious(
    reported: Path | Iterable[str], dest: Path | None = None, legitimate: Iterable[str] = ()
) -> tuple[Path, int]:
    """Rewrite the shipped list (or ``dest``) from reported names (or a file of them, one a
    line); returns where it went and how many names it holds."""
    if isinstance(reported, Path):
        reported = read_names(reported.read_text(encoding="utf-8").splitlines())
    names = build_known_malicious(reported, legitimate)
    target = dest or Path(str(resources.files("douane").joinpath(DATA, "known_malicious.txt")))
    header = (
        "# Projects reported as malware, canonical names; refreshed by "
        "`douane dataset known-malicious`.\n"
    )
    target.write_text(header + "".join(f"{n}\n" for n in names), encoding="utf-8")
    _known_malicious.cache_clear()
    return target, len(names)


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    return frozenset(
        line.strip().lower()
        for line in _data_lines("disposable-email-domains.txt") or []
        if line.strip() and not line.startswith("#")
    )


# -- helpers -----------------------------------------------------------------------------------


def _field(ctx: ArtifactContext, key: str, setup_key: str | None = None) -> Any:
    value = ctx.metadata.get(key)
    if value in (None, "", [], {}) and setup_key:
        value = ctx.setup_kwargs.get(setup_key)
        if isinstance(value, dict):  # an expression setup() got, not a literal
            return None
    return value


def _meta_file(ctx: ArtifactContext) -> str:
    return ctx.metadata.get("_file") or ("setup.py" if ctx.setup_kwargs else ctx.artifact.filename)


def _line_of(ctx: ArtifactContext, header: str) -> int | None:
    """Line of a header (``Summary:``) in the metadata file, for the reviewer."""
    path = ctx.metadata.get("_file")
    for f in ctx.files:
        if f.path == path:
            for n, line in enumerate(f.lines, 1):
                if line.lower().startswith(header.lower() + ":"):
                    return n
                if not line.strip():  # end of the header block
                    return None
    return None


def _hit(ctx: ArtifactContext, message: str, header: str | None = None, **kw: Any) -> Hit:
    line = _line_of(ctx, header) if header and ctx.metadata.get("_file") else None
    if line is None and not ctx.metadata.get("_file") and ctx.setup_kwargs:
        line = ctx.setup_kwargs.get("_line")
    snippet = ""
    if line is not None:
        for f in ctx.files:
            if f.path == _meta_file(ctx):
                snippet = snip(f.line_text(line))
                break
    return Hit(
        message=message,
        line=line,
        snippet=snippet,
        file=_meta_file(ctx),
        where=Where.METADATA,
        **kw,
    )


def _has_metadata(ctx: ArtifactContext) -> bool:
    return bool(ctx.metadata.get("_file")) or bool(ctx.setup_kwargs)


def _project_name(ctx: ArtifactContext) -> str | None:
    name = ctx.metadata.get("name") or ctx.artifact.name or ctx.setup_kwargs.get("name")
    return canonicalize_name(name) if isinstance(name, str) and name.strip() else None


# -- rules -------------------------------------------------------------------------------------

_PLACEHOLDERS = frozenset({
    "unknown", "none", "null", "n/a", "na", "todo", "tbd", "test", "tests", "testing", "test package",
    "test project", "description", "short description", "long description", "summary", "package",
    "my package", "my project", "example", "example package", "an example package",
    "a small example package", "a sample python project", "sample project", "a python package",
    "add your description here", "a short description of the project", "put a short description here",
    "hello world", "hello", "demo", "project description", "your description here", "desc", "xxx",
    "...", "-", ".", "a", "aaa", "abc", "asdf", "qwerty", "foo", "bar", "lorem ipsum", "placeholder",
})  # fmt: skip
_TEMPLATE_HOMES = ("github.com/pypa/sampleproject", "github.com/username/", "github.com/your-username/",
                   "github.com/yourusername/", "github.com/user/repo", "example.com",
                   "github.com/author/")  # fmt: skip


def _norm_text(text: Any) -> str:
    return " ".join(str(text or "").split()).strip().lower().rstrip(".!")


@artifact_rule(
    "DOU1001",
    "placeholder_metadata",
    family=Family.METADATA,
    severity=Severity.INFO,
    confidence=Confidence.HIGH,
)
def placeholder_metadata(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a release whose summary is missing (INFO), or whose summary or home
    page is a template placeholder left as it was: `UNKNOWN`, `test`, `A small example
    package`, `Add your description here`, a home page of `github.com/pypa/sampleproject`
    (LOW).

    Why it matters: throwaway malicious uploads are made in minutes from a template and never
    described. So are many honest first projects, which is why this only adds context to
    what the code rules find.

    Example: `Summary: A small example package` with `Home-page: https://github.com/pypa/sampleproject`.
    """
    if not _has_metadata(ctx):
        return
    summary = _field(ctx, "summary", "description")
    home = _field(ctx, "home_page", "url") or ""
    if isinstance(home, str) and any(t in home.lower() for t in _TEMPLATE_HOMES):
        yield _hit(
            ctx,
            f"home page is a template placeholder ({home[:80]})",
            "Home-page",
            severity=Severity.LOW,
        )
        return
    text = _norm_text(summary)
    if not text:
        yield _hit(ctx, "the release has no summary", "Summary")
    elif text in _PLACEHOLDERS or (len(text) <= 3 and not text.isalpha()):
        yield _hit(
            ctx,
            f"summary is a placeholder: {str(summary)[:60]!r}",
            "Summary",
            severity=Severity.LOW,
        )


@artifact_rule(
    "DOU1002",
    "disposable_author_email",
    family=Family.METADATA,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
)
def disposable_author_email(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags an author or maintainer e-mail address at a disposable-mailbox
    domain (mailinator, guerrillamail, yopmail and some ten thousand others, from the
    `disposable-email-domains` list shipped in `douane/data`).

    Why it matters: a disposable address is one nobody can be reached at later; accounts made
    to upload malware use them. Privacy-minded honest authors do too, so LOW.

    Example: `Author-email: dev <x1234@mailinator.com>`.
    """
    domains = disposable_domains()
    if not domains:
        return
    for key, setup_key, header in (("author_email", "author_email", "Author-email"),
                                   ("maintainer_email", "maintainer_email", "Maintainer-email")):  # fmt: skip
        value = _field(ctx, key, setup_key)
        if not isinstance(value, str):
            continue
        for _, addr in getaddresses([value]):
            domain = addr.rpartition("@")[2].strip().lower().rstrip(">")
            if domain and (domain in domains or domain.split(".", 1)[-1] in domains):
                yield _hit(ctx, f"{header} uses a disposable mailbox domain ({domain})", header)
                return


_DATE_LIKE = re.compile(
    r"^(19|20)\d{2}((0[1-9]|1[0-2])(\d{2}(\d{2,4})?)?)?$|^[12]\d(0[1-9]|1[0-2])(\d{2})?$"
)


def version_major(version: str) -> int | None:
    m = re.match(r"^\s*v?(\d{1,12})(?=\D|$)", version or "")
    return int(m.group(1)) if m else None


def is_squatting_version(version: str) -> tuple[Severity, str] | None:
    """Whether a version looks chosen to outrank an internal package's real versions."""
    major = version_major(version)
    if major is None:
        return None
    digits = str(major)
    if len(digits) >= 2 and set(digits) == {"9"}:
        return Severity.MEDIUM, f"major version {digits} (all nines)"
    if major >= 1000 and not _DATE_LIKE.match(digits):
        return Severity.LOW, f"major version {digits} is unusually high and not a date"
    return None


@artifact_rule(
    "DOU1003",
    "dependency_confusion_version",
    family=Family.METADATA,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
)
def dependency_confusion_version(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags versions like `99.0.0`, `999.1.2` or `9999.0` (MEDIUM), and majors
    of 1000 or more that are not calendar dates (LOW; `2024.1`, `20240131` are left alone).

    Why it matters: in a dependency-confusion attack the public upload takes the name of a
    company's internal package and a version higher than any real one, so installers prefer
    it. Scoring combines this with install-time behaviour.

    Example: `Version: 999.0.4` on a package whose `setup.py` reports the host name.
    """
    version = _field(ctx, "version", "version") or ctx.artifact.version
    if not isinstance(version, str):
        return
    found = is_squatting_version(version)
    if found:
        severity, why = found
        yield _hit(ctx, f"version {version}: {why}, as dependency-confusion uploads use", "Version",
                   severity=severity)  # fmt: skip


_REPO = re.compile(r"^https?://(?:www\.)?(github\.com|gitlab\.com|bitbucket\.org)/([\w.-]+)/([\w.-]+?)(?:\.git)?/?(?:[#?].*)?$",
                   re.IGNORECASE)  # fmt: skip


def _urls(ctx: ArtifactContext) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    home = _field(ctx, "home_page", "url")
    if isinstance(home, str):
        out.append(("Home-page", home.strip()))
    urls = ctx.metadata.get("project_urls") or {}
    if isinstance(urls, dict):
        out += [("Project-URL", str(u).strip()) for u in urls.values()]
    setup_urls = ctx.setup_kwargs.get("project_urls")
    if not urls and isinstance(setup_urls, dict):
        out += [("Project-URL", str(u).strip("'\" ")) for u in setup_urls.values()]
    return out


def _similar(a: str, b: str) -> bool:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b) <= 2 or Levenshtein.normalized_similarity(a, b) >= 0.8


@artifact_rule(
    "DOU1004",
    "home_page_of_other_project",
    family=Family.METADATA,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
)
def home_page_of_other_project(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a release whose home page or project URL is the repository of a
    different popular project (`reqeusts` with `https://github.com/psf/requests`). MEDIUM when
    the names are a few edits apart (a typo posing as the original), LOW otherwise. Popular
    projects themselves (e.g. `opencv-python-headless` pointing at `opencv/opencv-python`)
    are left alone.

    Why it matters: copying a famous project's links borrows its stars and trust on the index
    page ("starjacking") and makes a typosquat look like the real thing.

    Example: `Name: coloroma`, `Home-page: https://github.com/tartley/colorama`.
    """
    name = _project_name(ctx)
    popular = popular_projects()
    if not name or not popular or name in popular:
        return
    for header, url in _urls(ctx):
        m = _REPO.match(url)
        if not m:
            continue
        owner, repo = m.group(2).lower(), canonicalize_name(m.group(3))
        if repo == name or repo not in popular or f"{owner}/{repo}" == "pypa/sampleproject":
            continue
        if name.startswith(repo + "-"):
            continue  # a build or plugin of that project: `raydp-nightly`, `scrapbook-beta`
        close = _similar(name, repo)
        yield _hit(ctx, f"{header} {url[:80]} is the repository of the popular project `{repo}`, not of `{name}`",
                   header, severity=None if close else Severity.LOW)  # fmt: skip
        return


def dependency_names(ctx: ArtifactContext) -> list[tuple[str, str]]:
    """(canonical name, as written) of every declared dependency: Requires-Dist and the
    literal ``install_requires`` of setup.py; unparsable entries fall back to their first word."""
    raw: list[str] = []
    for key in ("requires_dist",):
        value = ctx.metadata.get(key) or []
        raw += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    for key in ("install_requires", "setup_requires"):
        value = ctx.setup_kwargs.get(key)
        if isinstance(value, list):
            raw += [str(v) for v in value]
        elif isinstance(value, str):
            raw += value.splitlines()
    out = []
    for item in raw:
        try:
            name = Requirement(item).name
        except InvalidRequirement:
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", item)
            if not m:
                continue
            name = m.group(1)
        out.append((canonicalize_name(name), item.strip()))
    return out


@artifact_rule(
    "DOU1005",
    "known_malicious_dependency",
    family=Family.METADATA,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
)
def known_malicious_dependency(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a declared dependency (Requires-Dist, or `install_requires` in
    setup.py) whose name is on the shipped list of projects reported as malware
    (`douane/data/known_malicious.txt`, refreshed by `douane dataset known-malicious`).

    Why it matters: a clean-looking package that pulls in a malicious one is a common way to
    keep the payload out of the package a reviewer reads. Confidence is MEDIUM because a
    removed malicious name can later be taken by someone else; the list is meant to come from
    OSV `MAL-` advisories.

    Example: `install_requires=["requests", "secrevtwo"]`.
    """
    bad = known_malicious()
    if not bad:
        return
    own = _project_name(ctx)
    for name, written in dependency_names(ctx):
        if name in bad and name != own:
            header = "Requires-Dist" if ctx.metadata.get("requires_dist") else None
            yield _hit(ctx, f"depends on `{written[:60]}`, a project reported as malware", header)
