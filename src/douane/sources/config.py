"""Where the index, its JSON API and the download cache live: argument, then environment, then default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import platformdirs
import pypi_simple

ENV_INDEX_URL = "DOUANE_INDEX_URL"
ENV_JSON_API_URL = "DOUANE_JSON_API_URL"
ENV_CACHE_DIR = "DOUANE_CACHE_DIR"


def _with_slash(url: str) -> str:
    # urljoin drops the last path segment of a base without a trailing slash.
    return url if url.endswith("/") else url + "/"


def index_url(explicit: str | None = None) -> str:
    """The Simple API endpoint; a mirror or a test index is just configuration."""
    url = explicit or os.environ.get(ENV_INDEX_URL) or pypi_simple.PYPI_SIMPLE_ENDPOINT
    return _with_slash(url)


def json_api_url(simple_url: str | None = None, explicit: str | None = None) -> str:
    """The JSON API base, derived from the Simple endpoint unless set on its own.

    Mirrors often serve both APIs from one host, so ``/pypi/`` beside ``/simple/`` is the
    right guess; a mirror that does not can be told explicitly.
    """
    url = explicit or os.environ.get(ENV_JSON_API_URL)
    if url:
        return _with_slash(url)
    return urljoin(index_url(simple_url), "/pypi/")


def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Downloads are kept between runs: the benign corpus and repeated scans reuse them."""
    value = explicit or os.environ.get(ENV_CACHE_DIR)
    if value:
        return Path(value).expanduser()
    return Path(platformdirs.user_cache_dir("douane"))


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """The three settings every remote source needs, resolved once."""

    index_url: str
    json_api_url: str
    cache_dir: Path


def load_config(
    index: str | None = None,
    json_api: str | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> SourceConfig:
    """Resolve all settings at once so a run uses one consistent view of its environment."""
    simple = index_url(index)
    return SourceConfig(
        index_url=simple,
        json_api_url=json_api_url(simple, json_api),
        cache_dir=cache_dir(cache),
    )
