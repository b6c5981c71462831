"""Package-index client (Simple API + JSON API) and the source that turns ``NAME[==VER]`` into files."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urljoin

import httpx
import pypi_simple
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pypi_simple.errors import UnsupportedRepoVersionError

from douane import __version__
from douane.domain import Artifact, ArtifactKind
from douane.sources.cache import BlobCache, TooLargeError
from douane.sources.config import SourceConfig, load_config
from douane.sources.filenames import parse_release_filename
from douane.sources.interface import SourceError, Unresolved

log = logging.getLogger(__name__)

USER_AGENT = f"douane/{__version__} (static malware scanner for package uploads)"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".whl", ".egg")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReleaseFile:
    """One file of a release as the index lists it; ``url`` is already absolute."""

    project: str
    version: str | None
    filename: str
    url: str
    sha256: str | None
    size: int | None
    upload_time: str | None
    yanked: bool
    kind: ArtifactKind
    yanked_reason: str | None = None
    requires_python: str | None = None
    tags: frozenset[Tag] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Release:
    """A version and its files; yanked only when every file is (as pip reads it)."""

    version: str
    files: tuple[ReleaseFile, ...]

    @property
    def yanked(self) -> bool:
        return bool(self.files) and all(f.yanked for f in self.files)


@dataclass(frozen=True, slots=True)
class ProjectMetadata:
    """What the JSON API says about a project (or one of its versions), for metadata rules."""

    name: str
    version: str | None
    summary: str | None
    description_length: int
    author: str | None
    author_email: str | None
    maintainer_email: str | None
    home_page: str | None
    project_urls: tuple[tuple[str, str], ...]
    requires_dist: tuple[str, ...]
    requires_python: str | None
    yanked: bool
    release_count: int | None  # only known from the project-level document


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _first_upload(release: Release) -> datetime | None:
    """When the release's first file was uploaded; None if the index did not say for any."""
    times = []
    for f in release.files:
        try:
            when = datetime.fromisoformat(f.upload_time) if f.upload_time else None
        except ValueError:
            when = None
        if when is not None:
            times.append(when if when.tzinfo else when.replace(tzinfo=UTC))
    return min(times) if times else None


def _version_key(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


class IndexClient:
    """One HTTP client for the Simple and JSON APIs, with retries and a blob cache.

    Thread-safe: the benign corpus builder shares one instance across its workers so that
    connections are pooled and one project page is fetched once.
    """

    def __init__(
        self,
        config: SourceConfig | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        page_cache_size: int = 128,
    ) -> None:
        self.config = config or load_config()
        self.cache = BlobCache(self.config.cache_dir)
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )
        self._pages: OrderedDict[str, list[Release]] = OrderedDict()
        self._pages_lock = threading.Lock()
        self._page_cache_size = page_cache_size

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def _retry(self, what: str, once: Callable[[], T]) -> T:
        """Retry transient failures (connection errors, 429, 5xx) with exponential backoff.

        Anything else (404, a hash mismatch) is an answer, not a hiccup, and is raised at once.
        """
        last = ""
        for attempt in range(self.retries + 1):
            try:
                return once()
            except _RetryableStatus as exc:
                last = str(exc)
                delay = self.backoff * (2**attempt)
                after = exc.response.headers.get("Retry-After", "")
                if after.isdigit():
                    delay = max(delay, min(float(after), 30.0))
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                delay = self.backoff * (2**attempt)
            if attempt < self.retries:
                log.debug("retrying %s after %s (attempt %d)", what, last, attempt + 1)
                time.sleep(delay)
        raise SourceError(f"{what}: {last} after {self.retries + 1} attempts")

    def _get(self, url: str, accept: str) -> httpx.Response:
        def once() -> httpx.Response:
            response = self._http.get(url, headers={"Accept": accept})
            if response.status_code in RETRY_STATUSES:
                raise _RetryableStatus(response)
            return response

        return self._retry(url, once)

    # -- Simple API ------------------------------------------------------------------------

    def project_url(self, name: str) -> str:
        return urljoin(self.config.index_url, quote(canonicalize_name(name)) + "/")

    def _fetch_releases(self, name: str) -> list[Release]:
        canon = canonicalize_name(name)
        url = self.project_url(canon)
        response = self._get(url, pypi_simple.ACCEPT_JSON_PREFERRED)
        if response.status_code == 404:
            raise SourceError(f"project {name!r} not found on the index ({url})")
        if response.status_code != 200:
            raise SourceError(f"{url}: HTTP {response.status_code}")
        ctype = response.headers.get("content-type", "").split(";")[0].strip()
        base = str(response.url)
        try:
            if ctype == SIMPLE_JSON:
                page = pypi_simple.ProjectPage.from_json_data(response.json(), base)
            else:
                page = pypi_simple.ProjectPage.from_html(canon, response.content, base)
        except (ValueError, UnsupportedRepoVersionError) as exc:  # pydantic errors are ValueErrors
            raise SourceError(f"{url}: unreadable project page: {exc}") from exc

        by_version: dict[Version, list[ReleaseFile]] = {}
        for pkg in page.packages:
            info = parse_release_filename(pkg.filename, canon)
            version = info.version or pkg.version
            key = _version_key(version)
            if key is None:
                log.debug("%s: cannot tell the version of %s", canon, pkg.filename)
                continue
            by_version.setdefault(key, []).append(
                ReleaseFile(
                    project=canon,
                    version=str(key),
                    filename=pkg.filename,
                    url=pkg.url,
                    sha256=(pkg.digests.get("sha256") or None),
                    size=pkg.size,
                    upload_time=_iso(pkg.upload_time),
                    yanked=pkg.is_yanked,
                    kind=info.kind,
                    yanked_reason=pkg.yanked_reason,
                    requires_python=pkg.requires_python,
                    tags=info.tags,
                )
            )
        return [Release(str(v), tuple(by_version[v])) for v in sorted(by_version)]

    def releases(self, name: str, include_yanked: bool = False) -> list[Release]:
        """All releases with files, oldest first, sorted as versions (not as strings)."""
        canon = canonicalize_name(name)
        with self._pages_lock:
            cached = self._pages.get(canon)
            if cached is not None:
                self._pages.move_to_end(canon)
        if cached is None:
            cached = self._fetch_releases(canon)
            with self._pages_lock:
                self._pages[canon] = cached
                while len(self._pages) > self._page_cache_size:
                    self._pages.popitem(last=False)
        return [r for r in cached if include_yanked or not r.yanked]

    def versions(self, name: str, include_yanked: bool = False) -> list[str]:
        return [r.version for r in self.releases(name, include_yanked)]

    def release_files(self, name: str, version: str) -> list[ReleaseFile]:
        """Files of one version, yanked ones included: an explicit pin still installs them."""
        wanted = _version_key(version)
        if wanted is None:
            raise SourceError(f"{version!r} is not a valid version")
        for release in self.releases(name, include_yanked=True):
            if Version(release.version) == wanted:
                return list(release.files)
        raise SourceError(f"{canonicalize_name(name)} has no release {version} on the index")

    def best_release(
        self, name: str, specifier: SpecifierSet | str = "", prereleases: bool | None = None
    ) -> str | None:
        """Highest non-yanked version the specifier allows; pre-releases only when nothing
        else matches or when asked, as pip chooses."""
        spec = SpecifierSet(str(specifier))
        candidates = [Version(v) for v in self.versions(name)]
        matching = list(spec.filter(candidates, prereleases=prereleases))
        return str(max(matching)) if matching else None

    def latest_release(self, name: str) -> str | None:
        return self.best_release(name)

    def previous_release(self, name: str, version: str) -> str | None:
        """The release a diff should compare against: the highest non-yanked one before
        ``version``, skipping pre-releases unless ``version`` is one itself."""
        current = _version_key(version)
        if current is None:
            raise SourceError(f"{version!r} is not a valid version")
        older = [Version(v) for v in self.versions(name) if Version(v) < current]
        if not current.is_prerelease:
            finals = [v for v in older if not v.is_prerelease]
            older = finals or older
        return str(max(older)) if older else None

    def prior_release_count(self, name: str, version: str) -> int:
        """How many releases the project published before ``version``, yanked ones included
        (they were installable once): by first upload time when the index gives every release
        one (a 1.2.1 backport uploaded after 2.0 came after it), else by version order. Read from the release list already fetched, so it costs
        no extra request; 0 means ``version`` is the project's first release."""
        current = _version_key(version)
        if current is None:
            raise SourceError(f"{version!r} is not a valid version")
        releases = self.releases(name, include_yanked=True)
        firsts = {Version(r.version): _first_upload(r) for r in releases}
        mine = firsts.get(current)
        others = [(v, t) for v, t in firsts.items() if v != current]
        if mine is not None and all(t is not None for _, t in others):
            return sum(1 for v, t in others if (t, v) < (mine, current))  # ties: version order
        return sum(1 for v, _ in others if v < current)

    # -- JSON API --------------------------------------------------------------------------

    def metadata(self, name: str, version: str | None = None) -> ProjectMetadata:
        canon = canonicalize_name(name)
        path = (
            f"{quote(canon)}/json" if version is None else f"{quote(canon)}/{quote(version)}/json"
        )
        url = urljoin(self.config.json_api_url, path)
        response = self._get(url, "application/json")
        if response.status_code == 404:
            what = canon if version is None else f"{canon} {version}"
            raise SourceError(f"{what} not found on the JSON API ({url})")
        if response.status_code != 200:
            raise SourceError(f"{url}: HTTP {response.status_code}")
        try:
            data = response.json()
            info = data["info"]
            if not isinstance(info, dict):
                raise TypeError("'info' is not an object")
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"{url}: unreadable JSON API document: {exc}") from exc

        def text(key: str) -> str | None:
            value = info.get(key)
            return str(value) if value not in (None, "", "UNKNOWN") else None

        urls = info.get("project_urls") or {}
        releases = data.get("releases")
        return ProjectMetadata(
            name=str(info.get("name") or canon),
            version=text("version"),
            summary=text("summary"),
            description_length=len(info.get("description") or ""),
            author=text("author"),
            author_email=text("author_email"),
            maintainer_email=text("maintainer_email"),
            home_page=text("home_page"),
            project_urls=tuple((str(k), str(v)) for k, v in urls.items())
            if isinstance(urls, dict)
            else (),
            requires_dist=tuple(str(r) for r in info.get("requires_dist") or ()),
            requires_python=text("requires_python"),
            yanked=bool(info.get("yanked")),
            release_count=len(releases) if isinstance(releases, dict) else None,
        )

    # -- downloads -------------------------------------------------------------------------

    def download(self, file: ReleaseFile, max_bytes: int | None = None) -> Path:
        """Fetch into the blob cache (or return the cached copy), hash-checked.

        A mismatch raises :class:`SourceError` and keeps nothing: a file whose bytes differ
        from what the index published is not the file we were asked to scan.
        """
        if file.sha256:
            hit = self.cache.get(file.sha256, file.filename)
            if hit is not None:
                return hit
        if max_bytes is not None and file.size is not None and file.size > max_bytes:
            raise TooLargeError(
                f"{file.filename}: {file.size} bytes, larger than the {max_bytes} byte cap"
            )

        def once() -> Path:
            with self._http.stream("GET", file.url) as response:
                if response.status_code in RETRY_STATUSES:
                    raise _RetryableStatus(response)
                if response.status_code != 200:
                    raise SourceError(f"{file.url}: HTTP {response.status_code}")
                return self.cache.put_stream(
                    response.iter_bytes(1 << 16), file.filename, file.sha256, max_bytes
                )

        return self._retry(file.url, once)


def parse_target(target: str) -> Requirement:
    """Read ``NAME``, ``NAME==VER`` or a fuller PEP 508 string; direct URLs are refused."""
    try:
        req = Requirement(target)
    except InvalidRequirement as exc:
        raise SourceError(f"{target!r} is not a requirement: {exc}") from exc
    if req.url:
        raise SourceError(f"{target!r}: direct URL requirements are not fetched; download it")
    return req


def pinned_version(req: Requirement) -> str | None:
    """The version of an exact ``==`` (or ``===``) pin, else None (ranges, wildcards)."""
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def looks_like_path(target: str) -> bool:
    return "/" in target or "\\" in target or target.lower().endswith(ARCHIVE_SUFFIXES)


def is_index_target(target: str) -> bool:
    """``NAME`` or ``NAME==VER`` (extras and markers allowed); ranges belong in a
    requirements file, where the resolution rule is explicit."""
    if looks_like_path(target):
        return False
    try:
        req = parse_target(target)
    except SourceError:
        return False
    return not req.specifier or pinned_version(req) is not None


Picker = Callable[[Sequence[ReleaseFile]], Sequence[ReleaseFile]]


class PyPISource:
    """Resolves a requirement to every file of one release (all of them by default).

    ``pick`` narrows the files (the corpus builder wants one sdist and one wheel);
    ``max_bytes`` refuses files above a cap before downloading them.
    """

    def __init__(
        self,
        client: IndexClient,
        *,
        pick: Picker | None = None,
        max_bytes: int | None = None,
        with_previous: bool = False,
    ) -> None:
        self.client = client
        self.pick = pick
        self.max_bytes = max_bytes
        self.with_previous = with_previous

    def handles(self, target: str) -> bool:
        return is_index_target(target)

    def resolve(self, target: str) -> Iterator[Artifact]:
        for item in self.resolve_outcomes(target):
            if isinstance(item, Unresolved):
                raise SourceError(item.reason)
            yield item

    def resolve_outcomes(self, target: str) -> Iterator[Artifact | Unresolved]:
        """Like ``resolve`` but one bad file does not hide the release's other files."""
        try:
            req = parse_target(target)
        except SourceError as exc:
            yield Unresolved(target, str(exc))
            return
        yield from self.resolve_requirement(req, target)

    def resolve_requirement(
        self, req: Requirement, target: str, prereleases: bool | None = None
    ) -> Iterator[Artifact | Unresolved]:
        name = canonicalize_name(req.name)
        try:
            version = pinned_version(req) or self.client.best_release(
                name, req.specifier, prereleases
            )
            if version is None:
                spec = str(req.specifier) or "(any)"
                yield Unresolved(target, f"{name}: no non-yanked release matches {spec}")
                return
            files = self.client.release_files(name, version)
        except SourceError as exc:
            yield Unresolved(target, str(exc))
            return
        chosen = list(self.pick(files)) if self.pick else files
        try:
            prior: int | None = self.client.prior_release_count(name, version)
        except SourceError:
            prior = None
        if not chosen:
            yield Unresolved(target, f"{name} {version}: the index lists no files")
            return
        for file in chosen:
            try:
                path = self.client.download(file, self.max_bytes)
            except SourceError as exc:
                yield Unresolved(target, str(exc))
                continue
            yield Artifact(
                path=path,
                filename=file.filename,
                name=name,
                version=file.version or version,
                sha256=file.sha256 or BlobCache.sha256_of(path),
                upload_time=file.upload_time,
                url=file.url,
                target=target,
                previous=self._previous(name, version, file) if self.with_previous else None,
                prior_releases=prior,
            )

    def _previous(self, name: str, version: str, file: ReleaseFile) -> Artifact | None:
        """The matching file of the release before ``version``, for diff mode; None when the
        project has no earlier release or it has no file of the same kind (a first release
        is itself a signal, recorded by the scanner, not an error)."""
        try:
            found = previous_file(self.client, name, version, file)
            if found is None:
                return None
            prev, best = found
            path = self.client.download(best, self.max_bytes)
        except SourceError:
            return None
        return Artifact(
            path=path,
            filename=best.filename,
            name=name,
            version=prev,
            sha256=best.sha256,
            upload_time=best.upload_time,
            url=best.url,
            target=f"{name}=={prev}",
        )


def previous_file(
    client: IndexClient, name: str, version: str, file: ReleaseFile
) -> tuple[str, ReleaseFile] | None:
    """The previous release's version and its file of the same kind as ``file`` (a wheel
    sharing a tag first), or None when there is no earlier release or no such file."""
    prev = client.previous_release(name, version)
    if prev is None:
        return None
    candidates = [f for f in client.release_files(name, prev) if f.kind is file.kind]
    if not candidates:
        return None
    same_tags = [f for f in candidates if f.tags and f.tags & file.tags]
    return prev, (same_tags or candidates)[0]


def is_pure_wheel(file: ReleaseFile) -> bool:
    return any(t.abi == "none" and t.platform == "any" for t in file.tags)


def pick_sdist_and_one_wheel(files: Sequence[ReleaseFile], wheel: bool = True) -> list[ReleaseFile]:
    """The sdist (``.tar.gz`` over ``.zip``) and one wheel, pure-Python first, else the smallest.

    Pure wheels hold the same code a user installs on any machine; among binary wheels the
    smallest keeps a corpus cheap without losing the Python parts. Yanked files are taken
    only when nothing else is there.
    """
    sdists = [f for f in files if f.kind is ArtifactKind.SDIST]
    wheels = [f for f in files if f.kind is ArtifactKind.WHEEL] if wheel else []
    chosen: list[ReleaseFile] = []
    if sdists:
        chosen.append(
            min(sdists, key=lambda f: (f.yanked, not f.filename.endswith(".tar.gz"), f.filename))
        )
    if wheels:
        chosen.append(
            min(wheels, key=lambda f: (f.yanked, not is_pure_wheel(f), f.size or 0, f.filename))
        )
    return chosen
