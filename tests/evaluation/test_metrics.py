"""Evaluation figures: counts behind every rate, errors never counted as clean or as caught."""

from __future__ import annotations

from douane.evaluation.metrics import confusion, curve, group_recall, percentile, rule_hits
from douane.evaluation.records import EvalRecord


def rec(label, verdict, score=0.0, rules=(), group="", kind="sdist", ms=1.0):
    return EvalRecord(label=label, name=f"{label}-{verdict}-{score}", version="1", filename="f",
                      sha256="", verdict=verdict, score=score, elapsed_ms=ms, rules=tuple(rules),
                      group=group, kind=kind)  # fmt: skip


RECORDS = [
    rec("malicious", "malicious", 0.9, ["DOU1"], group="g1"),
    rec("malicious", "suspicious", 0.6, ["DOU1", "DOU2"], group="g1"),
    rec("malicious", "clean", 0.1, ["DOU2"], group="g2"),
    rec("malicious", "error"),
    rec("benign", "suspicious", 0.55, ["DOU2"]),
    rec("benign", "clean", 0.2, ["DOU2", "DOU3"]),
    rec("benign", "clean", 0.0),
    rec("benign", "error"),
]


def test_flagged_operating_point_counts():
    c = confusion(RECORDS, lambda r: r.flagged)
    assert (c["tp"], c["fn"], c["fp"], c["tn"]) == (2, 1, 1, 2)
    assert c["malicious_errors"] == 1 and c["benign_errors"] == 1
    assert c["recall"] == round(2 / 3, 6) and c["fpr"] == round(1 / 3, 6)
    assert c["precision"] == round(2 / 3, 6)
    assert c["recall_errors_as_missed"] == 0.5


def test_malicious_only_operating_point_is_stricter():
    c = confusion(RECORDS, lambda r: r.verdict == "malicious")
    assert (c["tp"], c["fp"]) == (1, 0)
    assert c["precision"] == 1.0


def test_empty_denominators_are_none_not_zero():
    c = confusion([rec("benign", "clean")], lambda r: r.flagged)
    assert c["recall"] is None and c["fpr"] == 0.0


def test_curve_is_monotonic_and_ends_at_everything():
    points = curve(RECORDS)
    recalls = [p["recall"] for p in points]
    fprs = [p["fpr"] for p in points]
    assert recalls == sorted(recalls) and fprs == sorted(fprs)
    assert points[-1]["tp"] == 3 and points[-1]["fp"] == 3  # lowest threshold flags all scored


def test_rules_that_cost_precision_come_first():
    rows = rule_hits(RECORDS)
    assert rows[0]["rule"] == "DOU2"
    assert rows[0]["benign_flagged_hits"] == 1 and rows[0]["benign_hits"] == 2
    assert rows[0]["malicious_hits"] == 2
    assert {r["rule"] for r in rows} == {"DOU1", "DOU2", "DOU3"}
    # a rule author sees where it fired on benign files, flagged ones first
    assert [e.split()[0] for e in rows[0]["benign_examples"]] == [
        "benign-suspicious-0.55", "benign-clean-0.2"]  # fmt: skip


def test_group_recall_weighs_campaigns_once():
    g = group_recall(RECORDS)
    assert g["groups"] == 2 and g["largest"] == 2
    assert g["any"] == 0.5 and g["macro"] == 0.5


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0 and percentile([], 50) is None


def test_recall_at_the_same_false_positive_rate_counts_ties_against_the_scorer():
    from dataclasses import replace

    from douane.evaluation.metrics import recall_at_fpr, same_fpr

    benign = [rec("benign", "clean", s / 100) for s in range(100)]  # 0.00 … 0.99
    malware = [rec("malicious", "malicious", s) for s in (0.995, 0.99, 0.98, 0.5)]
    rows = recall_at_fpr(benign + malware, lambda r: r.score, targets=(0.0, 0.01, 0.03))
    # no benign allowed: only malware strictly above the top benign score (0.99) counts
    assert (rows[0]["tp"], rows[0]["fp"]) == (1, 0)
    # one benign allowed: the cut sits above 0.98, so the malware tied with benign at 0.98
    # is not counted and the one at 0.99 is (with the benign 0.99)
    assert (rows[1]["tp"], rows[1]["fp"]) == (2, 1)
    assert (rows[2]["tp"], rows[2]["fp"], rows[2]["malicious"]) == (3, 3, 4)
    # a model that separates what the rules weighting cannot, side by side
    both = [replace(r, rules_score=0.5) for r in benign + malware]
    table = same_fpr(both)
    assert table is not None
    assert [m["tp"] for m in table["model"]][:1] == [1] and table["rules"][0]["tp"] == 0
    assert same_fpr(benign + malware) is None  # older records without the rules score
