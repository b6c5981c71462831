"""Rules-only scoring: combinations and install-time code weigh most; one capability never flags."""

from __future__ import annotations

from dataclasses import replace

from douane.analysis.interface import Tag
from douane.analysis.registry import all_rules
from douane.domain import Confidence, Family, Finding, Severity, Verdict, Where
from douane.scoring.verdict import finding_weight, rules_score


def _finding(rule_id: str, where: Where = Where.INSTALL, **kw) -> Finding:
    rule = next(r for r in all_rules() if r.id == rule_id)
    return Finding(
        rule=rule.id,
        name=rule.name,
        family=rule.family,
        severity=kw.pop("severity", rule.severity),
        confidence=kw.pop("confidence", rule.confidence),
        file="setup.py",
        line=kw.pop("line", 3),
        snippet="…",
        message="…",
        where=where,
        **kw,
    )


def test_single_low_capability_is_clean_even_at_install_time():
    low = [r for r in all_rules() if r.severity <= Severity.LOW and r.family is Family.PROCESS]
    for rule in low:
        score, verdict, _ = rules_score([_finding(rule.id)])
        assert verdict is Verdict.CLEAN, rule.id


def test_where_orders_weight():
    f = _finding("DOU201", severity=Severity.HIGH, confidence=Confidence.HIGH)
    weights = [finding_weight(replace(f, where=w)) for w in (Where.INSTALL, Where.IMPORT,
                                                             Where.FUNCTION, Where.TEST)]  # fmt: skip
    assert weights == sorted(weights, reverse=True) and weights[0] > weights[-1]


def test_finding_seen_in_previous_release_weighs_less():
    f = _finding("DOU201", severity=Severity.HIGH)
    assert finding_weight(replace(f, new=False)) < finding_weight(replace(f, new=True))
    assert finding_weight(replace(f, new=None)) == finding_weight(replace(f, new=True))


def _read_and_send() -> tuple[Finding, Finding]:
    """A secret read and a network send in one install-time file: a combination."""
    by_tag = {}
    for r in all_rules():
        for t in r.tags:
            by_tag.setdefault(t, r)
    read = _finding(by_tag[Tag.SECRET_READ].id, line=2)
    send = _finding(by_tag[Tag.NETWORK_SEND].id, line=5)
    return read, send


def test_combination_in_one_file_outweighs_its_parts():
    read, send = _read_and_send()
    alone = max(rules_score([read])[0], rules_score([send])[0])
    together, _, reasons = rules_score([read, send])
    assert together > alone
    assert any("sends data" in r for r in reasons)


def test_combination_weighs_as_new_when_any_part_is_new():
    read, send = _read_and_send()
    all_old = rules_score([replace(read, new=False), replace(send, new=False)])[0]
    send_new = rules_score([replace(read, new=False), replace(send, new=True)])[0]
    outside_diff = rules_score([read, send])[0]
    assert all_old < send_new
    # the new send completes the combination: it counts in full, as outside diff mode; only
    # the old read's own weight is halved
    assert send_new <= outside_diff
