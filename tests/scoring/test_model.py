"""The trained detector: deterministic training, honest splits, thresholds, loading, scanning."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from douane.domain import Verdict
from douane.scanner import ScanOptions, local_artifact, scan_artifact
from douane.scoring import model as M
from douane.scoring.features import feature_table
from tests.conftest import BENIGN_SETUP, INERT_STEALER_SETUP, make_sdist

NAMES = tuple(feature_table())


def _synthetic(n_mal: int = 60, n_ben: int = 90, seed: int = 1) -> M.Labelled:
    """Rows shaped like real ones: malware reads and sends secrets at install time."""
    rng = np.random.default_rng(seed)
    col = {n: i for i, n in enumerate(NAMES)}
    X = np.zeros((n_mal + n_ben, len(NAMES)))
    y = np.array([1] * n_mal + [0] * n_ben)
    for i in range(len(y)):
        X[i, col["files.count"]] = rng.integers(3, 40)
        X[i, col["setup.present"]] = 1
        if y[i]:
            X[i, col["combo.secret_send"]] = 5 if rng.random() < 0.9 else 0
            X[i, col["findings.install"]] = rng.integers(1, 6)
            X[i, col["rules.score"]] = rng.uniform(0.5, 1.0)
            for rule in ("DOU101", "DOU501", "DOU510", "DOU511"):
                X[i, col[f"rule.{rule}"]] = 5 if rng.random() < 0.8 else 0
        else:
            X[i, col["rule.DOU302"]] = 2 if rng.random() < 0.3 else 0
            X[i, col["findings.function"]] = rng.integers(0, 4)
            X[i, col["rules.score"]] = rng.uniform(0.0, 0.4)
    groups = [f"malware:c{i % 20}" if t else f"benign:p{i % 45}" for i, t in enumerate(y)]
    seen = [("2023-06-01" if i % 2 else "2024-09-01") if t else "" for i, t in enumerate(y)]
    return M.Labelled(X=X, y=y, groups=groups, first_seen=seen, rules_scores=X[:, col["rules.score"]],
                      sha256=[f"{i:064x}" for i in range(len(y))], names=NAMES)  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text, meta, metrics = M.train_and_evaluate(_synthetic(), "2024-01-01", k=3, rounds=15)
    out = tmp_path_factory.mktemp("model")
    M.save(out, text, meta)
    (out / "metrics.json").write_text(json.dumps(metrics))
    return out


@pytest.fixture
def use_model(trained: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(M.ENV_MODEL_DIR, str(trained))
    return trained


def test_training_is_deterministic() -> None:
    data = _synthetic()
    assert M.fit(data, rounds=10).model_to_string() == M.fit(data, rounds=10).model_to_string()


def test_grouped_split_never_puts_a_group_on_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _synthetic()
    seen: list[set[str]] = []
    monkeypatch.setattr(M, "fit", lambda d, idx, rounds: {data.groups[i] for i in idx})
    monkeypatch.setattr(M, "margins", lambda train, X: seen.append(train) or np.zeros(len(X)))
    _, folds = M.grouped_oof(data, k=3)
    for f, train_groups in enumerate(sorted(set(folds))):
        test_groups = {g for g, x in zip(data.groups, folds, strict=True) if x == train_groups}
        assert not (seen[f] & test_groups)


def test_time_split_never_trains_on_malware_after_the_cutoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: a model that saw later malware overstates recall on new campaigns."""
    data = _synthetic()
    trained_on: list[list[int]] = []
    monkeypatch.setattr(M, "fit", lambda d, idx, rounds: trained_on.append(list(idx)))
    monkeypatch.setattr(M, "margins", lambda _b, X: np.zeros(len(X)))
    _, test, n_train = M.time_oof(data, "2024-01-01", k=3)
    assert 0 < n_train < int(data.y.sum())
    late_groups = {g for g, d in zip(data.groups, data.first_seen, strict=True) if d >= "2024"}
    for idx in trained_on:
        assert all(data.first_seen[i] < "2024-01-01" for i in idx if data.y[i] == 1)
        assert not {data.groups[i] for i in idx} & late_groups  # no campaign on both sides
    late = [i for i in range(len(data)) if data.y[i] == 1 and data.first_seen[i] >= "2024-01-01"]
    assert late and all(test[i] for i in late)


def test_threshold_with_no_benign_above_it_and_its_bound() -> None:
    benign = np.arange(1000) / 1000
    th = M.choose_threshold(benign, np.array([0.5, 2.0]), 1e-4)
    assert th["allowed"] == 0
    assert benign.max() < th["margin"] < 2.0
    assert th["bound"] == pytest.approx(3 / 1000, rel=0.01)  # rule of three


def test_threshold_allows_the_rate_it_is_given() -> None:
    benign = np.arange(1000) / 1000
    th = M.choose_threshold(benign, np.array([]), 1e-2)
    assert int((benign >= th["margin"]).sum()) == 10


def test_recall_at_fpr_counts_ties_against_the_model() -> None:
    mal = np.array([0.9, 0.9, 0.2])
    ben = np.array([0.9, 0.9] + [0.0] * 98)  # 1 % of 100 allows one; two benign tie at 0.9
    row = M.recall_at_fprs(mal, ben, (1e-2,))["1.00%"]
    assert (row["detected"], row["false_positives"]) == (0, 0)
    loose = M.recall_at_fprs(mal, ben, (2e-2,))["2.00%"]
    assert (loose["detected"], loose["false_positives"]) == (3, 2)


def test_fp_bound_grows_with_false_positives() -> None:
    assert M.fp_upper_bound(0, 7096) == pytest.approx(3 / 7096, rel=0.01)
    assert M.fp_upper_bound(7, 7096) > 7 / 7096


def test_saved_model_is_lightgbm_text_with_its_metrics(trained: Path) -> None:
    text = (trained / M.MODEL_TXT).read_text()
    meta = json.loads((trained / M.MODEL_JSON).read_text())
    assert text.startswith("tree")
    assert meta["features"] == list(NAMES)
    assert meta["thresholds"]["malicious"]["margin"] >= meta["thresholds"]["suspicious"]["margin"]
    metrics = json.loads((trained / "metrics.json").read_text())
    for split in ("grouped", "time"):
        assert {"0.01%", "0.10%", "1.00%"} <= set(metrics[split]["model"]["recall_at_fpr"])
        assert "rules_only" in metrics[split]


def test_scanner_uses_the_model_and_explains(use_model: Path, stealer_sdist: Path,
                                             benign_sdist: Path) -> None:  # fmt: skip
    assert M.available()
    bad = scan_artifact(local_artifact(stealer_sdist))
    good = scan_artifact(local_artifact(benign_sdist))
    assert bad.verdict in (Verdict.MALICIOUS, Verdict.SUSPICIOUS)
    assert good.verdict is Verdict.CLEAN
    assert 0.0 <= good.score < bad.score <= 1.0
    assert bad.explanation and bad.explanation[0].startswith("+")
    assert any("secrets" in e or "DOU5" in e for e in bad.explanation)
    rules = scan_artifact(local_artifact(stealer_sdist), ScanOptions(rules_only=True))
    assert rules.explanation != bad.explanation


def test_rules_unseen_in_training_do_not_move_the_score(trained: Path) -> None:
    meta = json.loads((trained / M.MODEL_JSON).read_text())
    assert "DOU511" in meta["rules_seen"] and "DOU302" in meta["rules_seen"]
    assert "DOU209" not in meta["rules_seen"]  # never set in the synthetic rows


def test_a_tampered_model_is_refused_and_scoring_falls_back(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stealer_sdist: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / M.MODEL_JSON).write_text((trained / M.MODEL_JSON).read_text())
    (bad / M.MODEL_TXT).write_text((trained / M.MODEL_TXT).read_text().replace("tree", "tree ", 1))
    monkeypatch.setenv(M.ENV_MODEL_DIR, str(bad))
    assert not M.available()
    result = scan_artifact(local_artifact(stealer_sdist))
    assert result.verdict is not Verdict.ERROR and result.score > 0  # rules weighting


def test_predict_never_raises(use_model: Path, monkeypatch: pytest.MonkeyPatch,
                              stealer_sdist: Path) -> None:  # fmt: skip
    def boom(*_a, **_k):
        raise RuntimeError("broken feature")

    monkeypatch.setattr(M, "summarise", boom)
    result = scan_artifact(local_artifact(stealer_sdist))
    assert result.explanation[0].startswith("model unavailable")
    assert result.verdict is not Verdict.ERROR


def test_probability_is_monotone_in_the_margin(use_model: Path) -> None:
    model = M.load()
    assert model is not None
    ps = [model.probability(m) for m in (-20, -1, 0, 1, 20)]
    assert ps == sorted(ps) and all(0 <= p <= 1 for p in ps)
    assert not math.isnan(model.probability(-1e6))


def test_shipped_model_if_any_is_small_and_loads() -> None:
    shipped = Path(M.__file__).resolve().parent
    if not (shipped / M.MODEL_TXT).is_file():
        pytest.skip("no model shipped yet")
    assert (shipped / M.MODEL_TXT).stat().st_size < 5 * 2**20
    meta = json.loads((shipped / M.MODEL_JSON).read_text())
    assert M.model_from((shipped / M.MODEL_TXT).read_text(), meta) is not None


def test_train_command_end_to_end(tmp_path: Path) -> None:
    """`douane train` scans inert samples into its cache, trains, writes model and metrics."""
    from typer.testing import CliRunner

    from douane.cli import app

    rows_m, rows_b = [], []
    for i in range(12):
        p = make_sdist(tmp_path / f"m{i}-1.0.tar.gz", {"setup.py": INERT_STEALER_SETUP + b"#" * i})
        rows_m.append(
            {
                "label": "malicious",
                "name": f"m{i}",
                "version": "1.0",
                "filename": p.name,
                "sha256": f"{i:064x}",
                "first_seen": f"202{3 + i % 2}-05-01",
                "source": "test",
                "path": str(p),
                "container": "",
                "group": f"c{i % 6}",
            }
        )
        q = make_sdist(
            tmp_path / f"b{i}-1.0.tar.gz",
            {"setup.py": BENIGN_SETUP + b"#" * i, "b/__init__.py": b"X = 1\n"},
        )
        rows_b.append({"name": f"b{i}", "version": "1.0", "filename": q.name,
                       "sha256": f"{i + 100:064x}", "size": "1", "upload_time": "2026-01-01",
                       "stratum": "longtail", "kind": "sdist", "path": str(q)})  # fmt: skip
    for name, rows in (("mal.csv", rows_m), ("ben.csv", rows_b)):
        with (tmp_path / name).open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    out, cache = tmp_path / "out", tmp_path / "cache.jsonl"
    args = ["train", "-m", str(tmp_path / "mal.csv"), "-b", str(tmp_path / "ben.csv"),
            "--out", str(out), "--cache", str(cache), "--jobs", "1", "--rounds", "5",
            "--cutoff", "2024-01-01"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / M.MODEL_TXT).is_file() and (out / "metrics.json").is_file()
    assert len(cache.read_text().splitlines()) == 24
    again = CliRunner().invoke(app, [*args, "--cached-only"])
    assert again.exit_code == 0, again.output
    assert len(cache.read_text().splitlines()) == 24  # nothing rescanned
    assert json.loads((out / "metrics.json").read_text())["time"]["cutoff"] == "2024-01-01"
