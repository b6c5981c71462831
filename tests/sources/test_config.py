"""Index URL, JSON API base and cache dir: explicit argument, then environment, then default."""

from __future__ import annotations

from pathlib import Path

import pypi_simple

from douane.sources import config


def test_default_index_is_the_public_endpoint(monkeypatch):
    monkeypatch.delenv(config.ENV_INDEX_URL, raising=False)
    monkeypatch.delenv(config.ENV_JSON_API_URL, raising=False)
    cfg = config.load_config()
    assert cfg.index_url == pypi_simple.PYPI_SIMPLE_ENDPOINT
    assert cfg.json_api_url.endswith("/pypi/")
    assert cfg.json_api_url.split("/")[2] == cfg.index_url.split("/")[2]


def test_env_then_argument(monkeypatch):
    monkeypatch.setenv(config.ENV_INDEX_URL, "http://127.0.0.1:1/mirror/simple")
    monkeypatch.delenv(config.ENV_JSON_API_URL, raising=False)
    assert config.index_url() == "http://127.0.0.1:1/mirror/simple/"
    assert config.json_api_url() == "http://127.0.0.1:1/pypi/"
    assert config.index_url("http://127.0.0.1:2/simple/") == "http://127.0.0.1:2/simple/"


def test_json_api_override(monkeypatch):
    monkeypatch.setenv(config.ENV_JSON_API_URL, "http://127.0.0.1:3/api")
    assert config.json_api_url("http://127.0.0.1:2/simple/") == "http://127.0.0.1:3/api/"
    assert config.json_api_url(explicit="http://127.0.0.1:4/j/") == "http://127.0.0.1:4/j/"


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(config.ENV_CACHE_DIR, raising=False)
    assert "douane" in str(config.cache_dir())
    monkeypatch.setenv(config.ENV_CACHE_DIR, str(tmp_path))
    assert config.cache_dir() == tmp_path
    assert config.cache_dir(tmp_path / "x") == Path(tmp_path / "x")
