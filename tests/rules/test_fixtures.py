"""Every rule flags exactly the expected lines of its `flag` fixtures and nothing in `pass`."""

from __future__ import annotations

import pytest

from douane.analysis.registry import DOC_SECTIONS, all_rules
from tests.rules.harness import FIXTURES, cases, load_case, scan_case

RULES = all_rules()
IDS = [r.id for r in RULES]


def _case_params(side: str):
    out = []
    for r in RULES:
        for c in cases(r.id, side):
            out.append(pytest.param(r.id, c, id=f"{r.id}-{c.name}"))
    return out


@pytest.mark.parametrize("rule_id,case", _case_params("flag"))
def test_rule_flags_expected_lines(rule_id, case):
    _, expected = load_case(case)
    want = {(f, line) for (r, f, line) in expected if r == rule_id}
    assert want, f"{case} has no `expect: {rule_id}` marker"
    found = scan_case(case)
    got = {(f.file, f.line) for f in found if f.rule == rule_id}
    if all(line is None for _, line in want):  # EXPECT without lines: compare files only
        got = {(f, None) for f, _ in got}
    assert got == want, f"{rule_id} on {case.name}: expected {sorted(want)}, got {sorted(got)}"


@pytest.mark.parametrize("rule_id,case", _case_params("pass"))
def test_rule_ignores_benign(rule_id, case):
    found = [f for f in scan_case(case) if f.rule == rule_id]
    assert not found, (
        f"{rule_id} fired on benign {case.name}: {[(f.line, f.snippet) for f in found]}"
    )


@pytest.mark.parametrize("rule_id", IDS)
def test_rule_is_documented_and_has_fixtures(rule_id):
    rule = next(r for r in RULES if r.id == rule_id)
    for section in DOC_SECTIONS:
        assert f"{section}" in rule.doc, f"{rule_id} docstring lacks '{section}'"
    assert cases(rule_id, "flag"), f"{rule_id} has no fixture under {FIXTURES / rule_id / 'flag'}"
    assert cases(rule_id, "pass"), f"{rule_id} has no fixture under {FIXTURES / rule_id / 'pass'}"


def test_rule_ids_are_unique_and_well_formed():
    assert len(IDS) == len(set(IDS))
    for r in RULES:
        assert r.id.startswith("DOU") and r.id[3:].isdigit(), r.id
        assert r.name.isidentifier() and r.name.islower(), r.name
