"""The normalised manifest: round trip, the benign layout read alike, bad files refused clearly."""

from __future__ import annotations

import csv

import pytest

from douane.dataset.manifest import (
    BENIGN,
    MALICIOUS,
    ManifestError,
    Sample,
    read_manifest,
    write_manifest,
)


def test_round_trip_keeps_every_field(tmp_path):
    rows = [Sample(label=MALICIOUS, name="x", version="1", filename="x-1.tar.gz", sha256="a" * 64,
                   first_seen="2024-01-01", source="malregistry", path=str(tmp_path / "x.zip"),
                   container="password-zip", group="x@aaaaaaaa")]  # fmt: skip
    write_manifest(rows, tmp_path / "m" / "manifest.csv")
    assert read_manifest(tmp_path / "m") == rows


def test_benign_manifest_is_read_as_benign_samples(tmp_path):
    path = tmp_path / "manifest.csv"
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["name", "version", "filename", "sha256", "size", "upload_time", "stratum",
                    "kind", "path"])  # fmt: skip
        w.writerow(["tidy", "1.0", "tidy-1.0.tar.gz", "B" * 64, "10", "2025-01-02T03:04:05",
                    "longtail", "sdist", "blobs/tidy-1.0.tar.gz"])  # fmt: skip
    (sample,) = read_manifest(path)
    assert sample.label == BENIGN and sample.stratum == "longtail" and sample.kind == "sdist"
    assert sample.sha256 == "b" * 64 and sample.first_seen.startswith("2025-01-02")
    assert sample.path == str(tmp_path / "blobs" / "tidy-1.0.tar.gz")  # relative to manifest


def test_unknown_layout_names_missing_columns(tmp_path):
    path = tmp_path / "manifest.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ManifestError, match="missing columns"):
        read_manifest(path)


def test_missing_manifest_is_a_manifest_error(tmp_path):
    with pytest.raises(ManifestError, match="cannot read"):
        read_manifest(tmp_path / "nope.csv")
