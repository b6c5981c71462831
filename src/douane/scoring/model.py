"""The trained detector: a LightGBM model over :mod:`douane.scoring.features`, with calibrated
scores, two operating points and explanations; plus the training and evaluation it ships from.

The scanner calls :func:`available` and :func:`predict`. The model lives beside this module as
``model.txt`` (LightGBM's own text format, loaded with ``Booster(model_str=...)``: nothing is
ever unpickled) and ``model.json`` (feature names, calibration, thresholds, data hashes,
metrics). ``DOUANE_MODEL_DIR`` points the scanner at another trained model (what
``douane train --out DIR`` writes), so a candidate can be evaluated before it ships.

Scores: the booster's margin ``m`` becomes ``p = 1 / (1 + exp(-(a·m + b)))`` (Platt scaling
fitted on out-of-fold margins, so ``p`` is the probability of malware *at the training mix*
of about one malware file per benign file, not at an index's real base rate). Verdicts compare
the margin with thresholds chosen on out-of-fold benign scores (see :func:`choose_threshold`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from douane.domain import Finding, Verdict
from douane.scoring.features import (
    COMBOS,
    feature_table,
    features,
    summarise,
    vector,
)

if TYPE_CHECKING:
    import lightgbm as lgb
    import numpy as np

    from douane.analysis.context import ArtifactContext

MODEL_TXT = "model.txt"
MODEL_JSON = "model.json"
ENV_MODEL_DIR = "DOUANE_MODEL_DIR"
FORMAT = 1
SEED = 20240801
THREADS = 1  # one thread: reproducible, and no barrier spinning on a shared 2-core machine
ROUNDS = 100  # with learning rate 0.1: the time-split recall of 200 × 0.05 at half the
# explanation cost (pred_contrib 0.3 ms instead of 0.6 ms per artifact, measured)
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 255,
    "seed": SEED,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": THREADS,
    "verbosity": -1,
}
# Target false-positive rates of the two operating points, measured on benign files.
MALICIOUS_FPR = 1e-4
SUSPICIOUS_FPR = 1e-3
REPORT_FPRS = (1e-4, 1e-3, 5e-3, 1e-2)
EXPLAIN_TOP = 5


# -- the shipped model ------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """A loaded model: booster, feature order, calibration and thresholds (on the margin)."""

    booster: lgb.Booster
    names: tuple[str, ...]
    platt: tuple[float, float]
    malicious_margin: float
    suspicious_margin: float
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    rules_seen: frozenset[str] | None = None  # rules that fired in training; others are ignored

    def probability(self, margin: float) -> float:
        a, b = self.platt
        z = a * margin + b
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


_HERE = Path(__file__).resolve().parent


def model_dir() -> Path:
    env = os.environ.get(ENV_MODEL_DIR)
    return Path(env) if env else _HERE


@lru_cache(maxsize=4)
def _load(directory: str) -> Model | None:
    d = Path(directory)
    try:
        text = (d / MODEL_TXT).read_text(encoding="utf-8")
        meta = json.loads((d / MODEL_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return model_from(text, meta)


def model_from(text: str, meta: dict[str, Any]) -> Model | None:
    """A model from its two files' contents; None when they do not belong together."""
    try:
        import lightgbm as lgb

        if meta.get("format") != FORMAT:
            return None
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != meta.get("model_sha256"):
            return None  # model.txt and model.json from different trainings
        booster = lgb.Booster(model_str=text)
        names = tuple(meta["features"])
        if booster.num_feature() != len(names):
            return None
        th = meta["thresholds"]
        return Model(
            booster=booster,
            names=names,
            platt=(float(meta["platt"][0]), float(meta["platt"][1])),
            malicious_margin=float(th["malicious"]["margin"]),
            suspicious_margin=float(th["suspicious"]["margin"]),
            meta=meta,
            rules_seen=frozenset(meta["rules_seen"]) if "rules_seen" in meta else None,
        )
    except (ImportError, KeyError, TypeError, ValueError, IndexError):
        return None
    except Exception:  # noqa: BLE001 - LightGBMError on a damaged model file
        return None


def load() -> Model | None:
    """The model the scanner uses (``DOUANE_MODEL_DIR`` or the shipped one), or None."""
    return _load(str(model_dir()))


def available() -> bool:
    """Whether a valid model ships (or ``DOUANE_MODEL_DIR`` holds one)."""
    return load() is not None


def predict(
    findings: Sequence[Finding], context: ArtifactContext
) -> tuple[float, Verdict, tuple[str, ...]]:
    """Calibrated score, verdict, and the reasons that pushed the score most.

    Never raises: a model that cannot score an artifact falls back to the rules weighting and
    says so, so a scan never ends as a silent "clean".
    """
    from douane.scoring.verdict import rules_score

    model = load()
    try:
        if model is None:
            raise ValueError("no model")
        used = list(findings)
        if model.rules_seen is not None:  # a rule added after training would shift every count
            used = [f for f in findings if f.rule in model.rules_seen]
        feats = features(summarise(used, context))
        margin, contrib = _contributions(model, feats)
        margin, diff_reason = diff_margin(model, margin, used, context)
    except Exception as exc:  # noqa: BLE001 - scoring must not lose the scan
        score, verdict, reasons = rules_score(findings)
        return score, verdict, (f"model unavailable ({type(exc).__name__}): rules weighting", *reasons)  # fmt: skip
    verdict = verdict_for_margin(model, margin)
    reasons = explain(model, feats, contrib, used)
    return model.probability(margin), verdict, (diff_reason, *reasons) if diff_reason else reasons


# -- diff mode ----------------------------------------------------------------------------------

# The model learnt from single releases (the malware dataset has no "previous release" of a
# hijacked project to learn from), so what changed since the previous release enters as a
# documented adjustment of its margin, in log-odds: evidence already in the previous release
# halves the odds; the files that changed, scored on their own, count with doubled odds.
OLD_EVIDENCE_LOGODDS = math.log(0.5)
NEW_EVIDENCE_LOGODDS = math.log(2.0)


def diff_margin(
    model: Model, margin: float, findings: Sequence[Finding], context: ArtifactContext
) -> tuple[float, str | None]:
    """The margin in diff mode, and the sentence that explains the change (None outside it).

    ``max(m_all + log ½, m_changed + log 2)``: ``m_all`` is the model on the whole release,
    ``m_changed`` the model on the findings of the files holding a new finding (a new send
    next to an old secret read is a new combination). A release with nothing new only has
    its odds halved, so what was malicious before stays visible; a hijack that adds a payload
    to an established project weighs more than the same code in an unknown one.
    """
    if not any(f.new is not None for f in findings):
        return margin, None
    old = margin + OLD_EVIDENCE_LOGODDS
    lower = f"(model log-odds {OLD_EVIDENCE_LOGODDS:+.2f})"
    changed = {f.file for f in findings if f.new}
    if not changed:
        return old, f"diff: no finding is new since the previous release {lower}"
    in_changed = [f for f in findings if f.file in changed]
    m_changed, _ = _contributions(model, features(summarise(in_changed, context)))
    new = m_changed + NEW_EVIDENCE_LOGODDS
    if new > old:
        return new, (f"diff: new findings since the previous release in {len(changed)} file(s) "
                     f"count with model log-odds {NEW_EVIDENCE_LOGODDS:+.2f}")  # fmt: skip
    return old, f"diff: the evidence was already in the previous release {lower}"


def verdict_for_margin(model: Model, margin: float) -> Verdict:
    if margin >= model.malicious_margin:
        return Verdict.MALICIOUS
    if margin >= model.suspicious_margin:
        return Verdict.SUSPICIOUS
    return Verdict.CLEAN


def _contributions(model: Model, feats: dict[str, float]) -> tuple[float, list[float]]:
    import numpy as np

    x = np.asarray([vector(feats, model.names)], dtype=np.float64)
    row = model.booster.predict(x, pred_contrib=True, num_threads=1)[0]
    return float(row.sum()), row[:-1].tolist()


# -- explanations -----------------------------------------------------------------------------

_COMBO_WORDS = {f"combo.{n}": words for n, _, words in COMBOS}
_COMBO_TAGS = {n: tags for n, tags, _ in COMBOS}


def _behind(name: str, findings: Sequence[Finding]) -> list[Finding]:
    """The findings a feature was computed from, in their order (empty for structure and
    metadata)."""
    from douane.analysis.registry import load_all

    rules = load_all()
    parts = name.split(".")
    if parts[0] == "rule":
        picked = [f for f in findings if f.rule == parts[1]]
    elif parts[0] in ("findings", "severity") and len(parts) > 1:
        where = parts[1].removeprefix("max_")
        picked = (
            [f for f in findings if str(f.where) == where] if where != "max" else list(findings)
        )
    elif parts[0] == "family":
        picked = [f for f in findings if str(f.family) == parts[1]]
    elif parts[0] in ("tag", "combo"):
        need = {parts[1]} if parts[0] == "tag" else {str(t) for t in _COMBO_TAGS.get(parts[1], ())}
        picked = [f for f in findings if f.where != "test" and f.rule in rules
                  and need & {str(t) for t in rules[f.rule].tags}]  # fmt: skip
    elif name in ("rules.score", "tags.distinct", "tags.distinct_early"):
        picked = list(findings)
    else:
        return []
    return picked


def _describe(name: str, value: float, findings: Sequence[Finding], table: dict[str, str]) -> str:
    """One feature in a reviewer's words, with the heaviest finding behind it (the first of
    equals) when there is one: a pass over them, where sorting cost n log n weighings."""
    from douane.scoring.verdict import finding_weight

    behind = _behind(name, findings)
    evidence = ""
    if behind:
        f = max(behind, key=finding_weight)
        evidence = f"{f.rule} {f.name} ({f.where}) {f.file}:{f.line or '-'}: {f.message}"
        if len(behind) > 1:
            evidence += f" (+{len(behind) - 1} more)"
    if name.startswith("rule."):
        return evidence or f"{name.split('.')[1]} did not fire"
    base = name.removesuffix(".any")
    if base in _COMBO_WORDS:
        where = " (across files)" if name.endswith(".any") else ""
        return f"code {_COMBO_WORDS[base]}{where}" + (f" — {evidence}" if evidence else "")
    desc = table.get(name, name)
    shown = f"{value:g}" if value == int(value) else f"{value:.2f}"
    return f"{desc}: {shown}" + (f" — {evidence}" if evidence else "")


def explain(
    model: Model, feats: dict[str, float], contrib: Sequence[float], findings: Sequence[Finding]
) -> tuple[str, ...]:
    """The features that pushed the score up most (LightGBM's per-feature contributions, in
    log-odds), each in words with the finding behind it; when nothing pushed up, what pulled
    the score down."""
    table = _table()
    down = [-c for c in contrib]
    order = sorted(range(len(contrib)), key=down.__getitem__)
    up = [i for i in order[:EXPLAIN_TOP] if contrib[i] > 0.05]
    picked = up or [i for i in order[::-1][:3] if contrib[i] < -0.05]
    out = []
    seen: set[str] = set()
    for i in picked:
        name = model.names[i]
        text = _describe(name, feats.get(name, 0.0), findings, table)
        if text in seen:
            continue
        seen.add(text)
        out.append(f"{contrib[i]:+.2f} {text}")
    return tuple(out)


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    return feature_table()


# -- training ---------------------------------------------------------------------------------


@dataclass
class Labelled:
    """Feature rows with labels and what splits need: campaign group and first-seen day."""

    X: np.ndarray
    y: np.ndarray  # 1 malware, 0 benign
    groups: list[str]
    first_seen: list[str]
    rules_scores: np.ndarray
    sha256: list[str]
    names: tuple[str, ...]
    strata: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.y)


def weights(y: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Each malware file weighs 1/√(its campaign's size) so one big campaign cannot dominate;
    malware as a whole weighs as much as benign files as a whole."""
    import numpy as np

    sizes: dict[str, int] = {}
    for g, label in zip(groups, y, strict=True):
        if label:
            sizes[g] = sizes.get(g, 0) + 1
    w = np.array([1 / math.sqrt(sizes[g]) if label else 1.0
                  for g, label in zip(groups, y, strict=True)])  # fmt: skip
    mal = y == 1
    if mal.any() and (~mal).any():
        w[mal] *= w[~mal].sum() / w[mal].sum()
    return w


def fit(data: Labelled, index: np.ndarray | None = None, rounds: int = ROUNDS) -> lgb.Booster:
    """A deterministic booster on the rows in ``index`` (all rows by default)."""
    import lightgbm as lgb
    import numpy as np

    idx = np.arange(len(data)) if index is None else index
    groups = [data.groups[i] for i in idx]
    ds = lgb.Dataset(data.X[idx], label=data.y[idx], weight=weights(data.y[idx], groups),
                     feature_name=[_lgb_name(n) for n in data.names], free_raw_data=True,
                     params={"verbosity": -1, "max_bin": PARAMS["max_bin"]})  # fmt: skip
    return lgb.train(PARAMS, ds, num_boost_round=rounds)


def _lgb_name(name: str) -> str:
    # LightGBM refuses some punctuation in feature names; the JSON keeps the real names
    return name.replace(".", "__").replace("-", "_")


def margins(booster: lgb.Booster, X: np.ndarray) -> np.ndarray:
    return booster.predict(X, raw_score=True, num_threads=THREADS)


def fold_of(key: str, k: int) -> int:
    """A stable fold for a group id (the same whatever the order or subset of the data)."""
    return zlib.crc32(key.encode("utf-8")) % k


def grouped_oof(data: Labelled, k: int = 5, rounds: int = ROUNDS) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold margins with whole groups (campaigns, benign projects) held out together."""
    import numpy as np

    folds = np.array([fold_of(g, k) for g in data.groups])
    out = np.zeros(len(data))
    for f in range(k):
        test = np.flatnonzero(folds == f)
        train = np.flatnonzero(folds != f)
        if len(test) == 0:
            continue
        out[test] = margins(fit(data, train, rounds), data.X[test])
    return out, folds


def time_oof(
    data: Labelled, cutoff: str, k: int = 5, rounds: int = ROUNDS
) -> tuple[np.ndarray, np.ndarray, int]:
    """Margins for a time-based split: models learn from malware first seen before ``cutoff``
    only (and of no campaign seen after it), and score malware first seen on or after it;
    benign files are held out by project fold as in the grouped split. Returns the margins, a
    mask of the rows that are test, and how many malware files the models learnt from."""
    import numpy as np

    folds = np.array([fold_of(g, k) for g in data.groups])
    mal = data.y == 1
    before = np.array([bool(d) and d[:10] < cutoff for d in data.first_seen])
    after = np.array([bool(d) and d[:10] >= cutoff for d in data.first_seen])
    test_mask = (~mal) | (mal & after)
    # a campaign with files on both sides of the cutoff is test only: a new campaign is the point
    late = {g for g, m, a in zip(data.groups, mal, after, strict=True) if m and a}
    early = mal & before & np.array([g not in late for g in data.groups])
    out = np.zeros(len(data))
    for f in range(k):
        train = np.flatnonzero(((~mal) & (folds != f)) | early)
        test = np.flatnonzero(test_mask & (folds == f))
        if len(test) == 0:
            continue
        out[test] = margins(fit(data, train, rounds), data.X[test])
    return out, test_mask, int(early.sum())


def platt(m: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Sigmoid calibration of margins (held-out ones: in-sample margins are overconfident)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000)
    lr.fit(np.asarray(m).reshape(-1, 1), y)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def choose_threshold(benign: np.ndarray, others: np.ndarray, max_fpr: float) -> dict[str, Any]:
    """The lowest margin at which at most ``floor(max_fpr · n)`` benign files score at or above.

    The cut sits halfway between the highest benign score allowed to stay below it and the
    next score above (any label), so it does not hug one benign file. With n benign files and
    none above, the false-positive rate is only known to be below 3/n (95 %, rule of three):
    7,096 files cannot show 1 in 10,000, and the returned ``bound`` says what they do show.
    """
    import numpy as np

    b = np.sort(np.asarray(benign))[::-1]
    n = len(b)
    allowed = int(math.floor(max_fpr * n + 1e-9))
    if n == 0:
        return {"margin": float("inf"), "allowed": 0, "n": 0, "bound": 1.0}
    if allowed >= n:
        return {"margin": float(b[-1]), "allowed": allowed, "n": n, "bound": 1.0}
    anchor = b[allowed]  # the highest benign score that must fall below the cut
    above = np.concatenate([b[b > anchor], np.asarray(others)[np.asarray(others) > anchor]])
    nxt = float(above.min()) if len(above) else anchor + 1.0
    margin = float((anchor + nxt) / 2)
    return {"margin": margin, "allowed": allowed, "n": n, "bound": fp_upper_bound(allowed, n)}


def fp_upper_bound(k: int, n: int) -> float:
    """One-sided 95 % upper bound on a rate after k events in n trials (exact for k = 0:
    1 − 0.05^(1/n) ≈ 3/n; otherwise the Clopper–Pearson bound)."""
    if n == 0:
        return 1.0
    if k == 0:
        return 1 - 0.05 ** (1 / n)
    from scipy.stats import beta

    return float(beta.ppf(0.95, k + 1, n - k))


def at_threshold(mal: np.ndarray, ben: np.ndarray, cut: float) -> dict[str, Any]:
    """Recall and false-positive rate at one cut, with counts."""
    tp, fp = int((mal >= cut).sum()), int((ben >= cut).sum())
    return {
        "recall": round(tp / len(mal), 4) if len(mal) else None,
        "detected": tp,
        "malware": len(mal),
        "fpr": round(fp / len(ben), 6) if len(ben) else None,
        "false_positives": fp,
        "benign": len(ben),
        "fpr_upper_95": round(fp_upper_bound(fp, len(ben)), 6),
    }


def recall_at_fprs(mal: np.ndarray, ben: np.ndarray, fprs: Sequence[float] = REPORT_FPRS) -> dict:
    """Recall at the strictest cut that keeps benign hits at or under each rate (counts kept)."""
    import numpy as np

    out = {}
    b = np.sort(ben)[::-1]
    for fpr in fprs:
        allowed = int(math.floor(fpr * len(b) + 1e-9))
        cut = float(b[allowed]) if allowed < len(b) else -math.inf
        # strictly above the (allowed+1)-th benign score: ties count against us
        row = at_threshold(mal, ben, np.nextafter(cut, math.inf))
        row["allowed_false_positives"] = allowed
        out[f"{fpr:.2%}"] = row
    return out


def split_report(
    m: np.ndarray, rules: np.ndarray, y: np.ndarray, val: np.ndarray, mask: np.ndarray
) -> dict[str, Any]:
    """Model beside rules-only on held-out rows: recall at fixed false-positive rates, and the
    two operating points chosen on the validation half of the benign files, measured on the
    other half (and on all held-out malware)."""
    from douane.scoring.verdict import MALICIOUS_AT, SUSPICIOUS_AT

    mal = mask & (y == 1)
    ben = mask & (y == 0)
    ben_val, ben_test = ben & val, ben & ~val
    out: dict[str, Any] = {
        "malware": int(mal.sum()),
        "benign": int(ben.sum()),
        "model": {"recall_at_fpr": recall_at_fprs(m[mal], m[ben])},
        "rules_only": {"recall_at_fpr": recall_at_fprs(rules[mal], rules[ben])},
    }
    ops = {}
    for name, fpr in (("malicious", MALICIOUS_FPR), ("suspicious", SUSPICIOUS_FPR)):
        th = choose_threshold(m[ben_val], m[mal], fpr)
        ops[name] = {
            "target_fpr": fpr,
            "chosen_on_benign": th["n"],
            "allowed_false_positives": th["allowed"],
            "fpr_bound_on_validation": round(th["bound"], 6),
            "held_out": at_threshold(m[mal], m[ben_test], th["margin"]),
        }
    out["model"]["operating_points"] = ops
    out["rules_only"]["operating_points"] = {
        "malicious": at_threshold(rules[mal], rules[ben], MALICIOUS_AT),
        "suspicious": at_threshold(rules[mal], rules[ben], SUSPICIOUS_AT),
    }
    return out


def validation_half(groups: Sequence[str]) -> np.ndarray:
    """Half the benign projects choose thresholds, the other half measure them."""
    import numpy as np

    return np.array([zlib.crc32(("val:" + g).encode()) % 2 == 0 for g in groups])


def data_hash(sha256s: Sequence[str]) -> str:
    """One hash for a training set: over its sorted file hashes."""
    h = hashlib.sha256()
    for s in sorted(sha256s):
        h.update(s.encode() + b"\n")
    return h.hexdigest()


def train_and_evaluate(
    data: Labelled, cutoff: str | None, k: int = 5, rounds: int = ROUNDS
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Evaluate on the grouped (and time-based) splits, then fit the shipped model on all rows.

    Returns ``model.txt`` text, ``model.json`` content and the metrics.
    """
    import lightgbm as lgb
    import numpy as np

    y, rules = data.y, data.rules_scores
    val = validation_half(data.groups)
    everything = np.ones(len(data), dtype=bool)
    oof, _ = grouped_oof(data, k, rounds)
    metrics: dict[str, Any] = {"grouped": split_report(oof, rules, y, val, everything)}
    if cutoff:
        tm, mask, n_train = time_oof(data, cutoff, k, rounds)
        rep = split_report(tm, rules, y, val, mask)
        rep["cutoff"] = cutoff
        rep["train_malware"] = n_train
        metrics["time"] = rep
    a, b = platt(oof, y)
    ben, mal = oof[y == 0], oof[y == 1]
    th_mal = choose_threshold(ben, mal, MALICIOUS_FPR)
    th_sus = choose_threshold(ben, mal, SUSPICIOUS_FPR)
    final = fit(data, None, rounds)
    text = final.model_to_string()
    # the booster's names are LightGBM-safe aliases; model.json keeps the readable ones
    thresholds = {}
    for name, th, fpr in (("malicious", th_mal, MALICIOUS_FPR),
                          ("suspicious", th_sus, SUSPICIOUS_FPR)):  # fmt: skip
        prob = 1 / (1 + math.exp(-(a * th["margin"] + b)))
        thresholds[name] = {
            "margin": th["margin"],
            "probability": prob,
            "target_fpr": fpr,
            "benign_out_of_fold": th["n"],
            "allowed_false_positives": th["allowed"],
            "fpr_upper_95": th["bound"],
            "out_of_fold": at_threshold(mal, ben, th["margin"]),
        }
    metrics["shipped_thresholds"] = thresholds
    metrics["calibration"] = calibration_table(oof, y, a, b)
    metrics["errors_out_of_fold"] = error_examples(data, oof, th_sus["margin"])
    meta = {
        "format": FORMAT,
        "lightgbm": lgb.__version__,
        "features": list(data.names),
        "platt": [a, b],
        "thresholds": thresholds,
        "params": PARAMS | {"num_boost_round": rounds, "folds": k},
        "rules_seen": rules_seen(data),
        "data": {
            "malware": int((y == 1).sum()),
            "benign": int((y == 0).sum()),
            "malware_sha256s": data_hash([s for s, t in zip(data.sha256, y, strict=True) if t]),
            "benign_sha256s": data_hash([s for s, t in zip(data.sha256, y, strict=True) if not t]),
        },
        "model_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    return text, meta, metrics


def error_examples(data: Labelled, oof: np.ndarray, cut: float, top: int = 15) -> dict[str, Any]:
    """What the model gets wrong out of fold at the review threshold: benign files above it
    (highest first) and missed malware, with how many of those had no finding at all."""
    import numpy as np

    col = {n: j for j, n in enumerate(data.names)}
    counts = [c for c in ("findings.install", "findings.import", "findings.function",
                          "findings.other") if c in col]  # fmt: skip
    no_findings = data.X[:, [col[c] for c in counts]].sum(axis=1) == 0 if counts else None
    fp = [i for i in np.argsort(-oof) if data.y[i] == 0 and oof[i] >= cut]
    fn = [i for i in np.argsort(oof) if data.y[i] == 1 and oof[i] < cut]
    return {
        "false_positives": [data.sha256[i] for i in fp[:top]],
        "missed_malware": len(fn),
        "missed_without_findings": int(no_findings[fn].sum()) if no_findings is not None else None,
        "missed_examples": [data.sha256[i] for i in fn[:top]],
    }


def rules_seen(data: Labelled) -> list[str]:
    """Rule ids that fired on some training file: the ones the model has learnt anything about."""
    return sorted(
        n.split(".")[1]
        for j, n in enumerate(data.names)
        if n.startswith("rule.") and n.count(".") == 1 and bool((data.X[:, j] != 0).any())
    )


def calibration_table(m: np.ndarray, y: np.ndarray, a: float, b: float) -> list[dict]:
    """Predicted vs observed malware share in probability bins (out-of-fold)."""
    import numpy as np

    p = 1 / (1 + np.exp(-np.clip(a * m + b, -700, 700)))
    edges = [0, 0.01, 0.1, 0.5, 0.9, 0.99, 1.0000001]
    rows = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        sel = (p >= lo) & (p < hi)
        if sel.any():
            rows.append({"bin": f"[{lo:g}, {min(hi, 1):g})", "n": int(sel.sum()),
                         "mean_predicted": round(float(p[sel].mean()), 4),
                         "observed_malware": round(float(y[sel].mean()), 4)})  # fmt: skip
    return rows


def save(directory: Path, text: str, meta: dict[str, Any]) -> None:
    """Write ``model.txt`` and ``model.json`` (the JSON last: a reader sees both or neither)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MODEL_TXT).write_text(text, encoding="utf-8")
    tmp = directory / (MODEL_JSON + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(directory / MODEL_JSON)
    _load.cache_clear()
