"""A fake package index on 127.0.0.1 (Simple JSON + JSON API + files) so tests never need the network.

Use it as a context manager (``with FakeIndex() as index:``) or through the ``fake_index``
fixture (import it into a ``conftest.py``). Archives are built in memory from inert text.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from douane.sources.config import SourceConfig
from douane.sources.pypi import IndexClient

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def make_sdist(name: str, version: str, files: dict[str, bytes] | None = None) -> bytes:
    """A small ``.tar.gz`` sdist: ``PKG-INFO`` plus the given files under ``name-version/``."""
    root = f"{name.replace('-', '_')}-{version}"
    members = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{name.replace('-', '_')}/__init__.py": f'__version__ = "{version}"\n'.encode(),
    }
    members.update(files or {})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, data in sorted(members.items()):
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_wheel(name: str, version: str, files: dict[str, bytes] | None = None) -> bytes:
    """A small wheel-shaped zip: a module and a ``.dist-info/METADATA``."""
    pkg = name.replace("-", "_")
    members = {
        f"{pkg}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{pkg}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        ),
    }
    members.update(files or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in sorted(members.items()):
            zf.writestr(zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


@dataclass
class FakeFile:
    project: str
    version: str
    filename: str
    data: bytes
    yanked: bool | str = False
    relative: bool = False
    advertised_sha256: str | None = None  # what the index claims; differs when ``bad_hash``
    upload_time: str = "2024-01-02T03:04:05.000000Z"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class FakeProject:
    name: str
    files: list[FakeFile] = field(default_factory=list)
    info: dict = field(default_factory=dict)


class FakeIndex:
    """Serves projects added with :meth:`add_release` / :meth:`add_file`; records requests."""

    def __init__(self) -> None:
        self.projects: dict[str, FakeProject] = {}
        self.requests: list[str] = []
        self._failures: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        host, port = self._server.server_address[:2]
        self.base = f"http://{host}:{port}"
        self.url = f"{self.base}/simple/"
        self.json_url = f"{self.base}/pypi/"

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> FakeIndex:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def config(self, cache_dir: Path) -> SourceConfig:
        return SourceConfig(index_url=self.url, json_api_url=self.json_url, cache_dir=cache_dir)

    def client(self, cache_dir: Path, **kwargs: object) -> IndexClient:
        kwargs.setdefault("backoff", 0.0)
        kwargs.setdefault("timeout", 5.0)
        return IndexClient(self.config(cache_dir), **kwargs)  # type: ignore[arg-type]

    # -- content ---------------------------------------------------------------------------

    def add_file(
        self,
        name: str,
        version: str,
        filename: str,
        data: bytes,
        *,
        yanked: bool | str = False,
        relative: bool = False,
        bad_hash: bool = False,
        upload_time: str | None = None,
    ) -> FakeFile:
        project = self.projects.setdefault(canonicalize_name(name), FakeProject(name))
        file = FakeFile(project.name, version, filename, data, yanked, relative)
        if upload_time:
            file.upload_time = upload_time
        file.advertised_sha256 = hashlib.sha256(b"not the bytes" if bad_hash else data).hexdigest()
        project.files.append(file)
        return file

    def add_release(
        self,
        name: str,
        version: str,
        *,
        sdist: bool = True,
        wheel: bool = True,
        binary_wheels: tuple[str, ...] = (),
        yanked: bool | str = False,
        relative: bool = False,
        bad_hash: bool = False,
        files: dict[str, bytes] | None = None,
    ) -> list[FakeFile]:
        """An sdist and a pure wheel by default; ``binary_wheels`` adds platform wheels
        (e.g. ``"cp311-cp311-manylinux_2_17_x86_64"``) padded so they are larger."""
        pkg = name.replace("-", "_")
        out = []
        opts = {"yanked": yanked, "relative": relative, "bad_hash": bad_hash}
        if sdist:
            out.append(
                self.add_file(
                    name,
                    version,
                    f"{pkg}-{version}.tar.gz",
                    make_sdist(name, version, files),
                    **opts,
                )
            )
        if wheel:
            data = make_wheel(name, version, files)
            out.append(
                self.add_file(name, version, f"{pkg}-{version}-py3-none-any.whl", data, **opts)
            )
        for i, tag in enumerate(binary_wheels):
            data = make_wheel(name, version, {f"{pkg}/_pad{i}.txt": b"x" * (200 * (i + 1))})
            out.append(self.add_file(name, version, f"{pkg}-{version}-{tag}.whl", data, **opts))
        return out

    def set_info(self, name: str, **info: object) -> None:
        self.projects.setdefault(canonicalize_name(name), FakeProject(name)).info.update(info)

    def fail(self, path: str, *statuses: int) -> None:
        """The next requests for ``path`` get these status codes, in order."""
        with self._lock:
            self._failures.setdefault(path, []).extend(statuses)

    def count(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for p in self.requests if p.startswith(prefix))

    def file_path(self, filename: str) -> str:
        return f"/files/{filename}"

    # -- documents -------------------------------------------------------------------------

    def _file_url(self, f: FakeFile) -> str:
        # Relative to /simple/<name>/, as some mirrors serve them.
        return f"../../files/{f.filename}" if f.relative else f"{self.base}/files/{f.filename}"

    def simple_json(self, canon: str) -> dict:
        project = self.projects[canon]
        versions = sorted({f.version for f in project.files}, key=Version)
        return {
            "meta": {"api-version": "1.1"},
            "name": canon,
            "versions": versions,
            "files": [
                {
                    "filename": f.filename,
                    "url": self._file_url(f),
                    "hashes": {"sha256": f.advertised_sha256},
                    "size": len(f.data),
                    "upload-time": f.upload_time,
                    "yanked": f.yanked,
                }
                for f in project.files
            ],
        }

    def simple_html(self, canon: str) -> str:
        links = "\n".join(
            f'<a href="{html.escape(self._file_url(f))}#sha256={f.advertised_sha256}">'
            f"{html.escape(f.filename)}</a><br/>"
            for f in self.projects[canon].files
        )
        return f"<!DOCTYPE html><html><body>{links}</body></html>"

    def _json_file(self, f: FakeFile) -> dict:
        return {
            "filename": f.filename,
            "url": f"{self.base}/files/{f.filename}",
            "digests": {"sha256": f.advertised_sha256},
            "size": len(f.data),
            "packagetype": "sdist" if f.filename.endswith(".tar.gz") else "bdist_wheel",
            "upload_time_iso_8601": f.upload_time,
            "yanked": bool(f.yanked),
        }

    def json_api(self, canon: str, version: str | None) -> dict | None:
        project = self.projects[canon]
        versions = sorted({f.version for f in project.files}, key=Version)
        project_level = version is None
        if version is None:
            version = versions[-1] if versions else None
        elif version not in versions:
            return None
        info = {
            "name": project.name,
            "version": version,
            "summary": "A test project",
            "description": "Long description.",
            "author": "Test Author",
            "author_email": "author@example.invalid",
            "maintainer_email": None,
            "home_page": "https://example.invalid/home",
            "project_urls": {"Source": "https://example.invalid/src"},
            "requires_dist": None,
            "requires_python": ">=3.8",
            "yanked": False,
        }
        info.update(project.info)
        doc: dict = {
            "info": info,
            "urls": [self._json_file(f) for f in project.files if f.version == version],
        }
        if project_level:  # the per-version document has no release list
            doc["releases"] = {
                v: [self._json_file(f) for f in project.files if f.version == v] for v in versions
            }
        return doc

    # -- HTTP ------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        index = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes = b"", ctype: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with index._lock:
                    index.requests.append(path)
                    queued = index._failures.get(path)
                    status = queued.pop(0) if queued else None
                if status is not None:
                    self._send(status, b"injected failure")
                    return
                parts = [p for p in path.split("/") if p]
                try:
                    self._route(parts)
                except KeyError:
                    self._send(404, b"not found")

            def _route(self, parts: list[str]) -> None:
                if len(parts) == 2 and parts[0] == "simple":
                    canon = parts[1]
                    if canon not in index.projects:
                        raise KeyError(canon)
                    if SIMPLE_JSON in self.headers.get("Accept", ""):
                        body = json.dumps(index.simple_json(canon)).encode()
                        self._send(200, body, SIMPLE_JSON)
                    else:
                        self._send(200, index.simple_html(canon).encode(), "text/html")
                    return
                if parts and parts[0] == "pypi" and parts[-1] == "json" and len(parts) in (3, 4):
                    canon = parts[1]
                    if canon not in index.projects:
                        raise KeyError(canon)
                    version = parts[2] if len(parts) == 4 else None
                    doc = index.json_api(canon, version)
                    if doc is None:
                        raise KeyError(version)
                    self._send(200, json.dumps(doc).encode(), "application/json")
                    return
                if len(parts) == 2 and parts[0] == "files":
                    for project in index.projects.values():
                        for f in project.files:
                            if f.filename == parts[1]:
                                self._send(200, f.data, "application/octet-stream")
                                return
                raise KeyError("/".join(parts))

        return Handler


@pytest.fixture
def fake_index() -> Iterator[FakeIndex]:
    """A running :class:`FakeIndex`, shut down after the test."""
    with FakeIndex() as index:
        yield index
