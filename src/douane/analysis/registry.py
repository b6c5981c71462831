"""The rule registry: decorators that declare a rule once, and lookups by id, kind and node type."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterable

from douane.analysis.interface import FileType, Kind, Rule, Tag
from douane.domain import Confidence, Family, Severity

_RULES: dict[str, Rule] = {}

DOC_SECTIONS = ("What it does", "Why it matters", "Example")


def _register(rule: Rule) -> None:
    if rule.id in _RULES and _RULES[rule.id].check is not rule.check:
        raise ValueError(f"duplicate rule id {rule.id}")
    names = {r.name: r.id for r in _RULES.values()}
    if rule.name in names and names[rule.name] != rule.id:
        raise ValueError(f"duplicate rule name {rule.name}")
    _RULES[rule.id] = rule


def _decorator(
    kind: Kind,
    rule_id: str,
    name: str,
    *,
    family: Family,
    severity: Severity,
    confidence: Confidence,
    triggers: Iterable[bytes] = (),
    nodes: Iterable[type[ast.AST]] = (),
    file_types: Iterable[FileType] = (),
    tags: Iterable[Tag] = (),
    only_unparsed: bool = False,
) -> Callable:
    def wrap(fn: Callable) -> Callable:
        _register(
            Rule(
                id=rule_id,
                name=name,
                family=family,
                severity=severity,
                confidence=confidence,
                kind=kind,
                check=fn,
                doc=inspect.cleandoc(fn.__doc__ or ""),
                triggers=tuple(triggers),
                nodes=tuple(nodes),
                file_types=frozenset(file_types),
                tags=frozenset(tags),
                only_unparsed=only_unparsed,
            )
        )
        return fn

    return wrap


def node_rule(rule_id: str, name: str, **kw) -> Callable:
    """Declare an AST rule: ``check(node, ctx: PyContext) -> Iterator[Hit]``; needs ``nodes=``."""
    if not kw.get("nodes"):
        raise ValueError(f"{rule_id}: node rules must declare nodes=")
    kw.setdefault("file_types", (FileType.PYTHON,))
    return _decorator(Kind.NODE, rule_id, name, **kw)


def file_rule(rule_id: str, name: str, **kw) -> Callable:
    """Declare a text rule: ``check(ctx: FileContext) -> Iterator[Hit]``; needs ``file_types=``."""
    if not kw.get("file_types"):
        raise ValueError(f"{rule_id}: file rules must declare file_types=")
    return _decorator(Kind.FILE, rule_id, name, **kw)


def artifact_rule(rule_id: str, name: str, **kw) -> Callable:
    """Declare a whole-artifact rule: ``check(ctx: ArtifactContext) -> Iterator[Hit]``."""
    return _decorator(Kind.ARTIFACT, rule_id, name, **kw)


def load_all() -> dict[str, Rule]:
    """Import every rule family module once so their decorators run."""
    from douane.analysis import families  # noqa: F401  (imports each family module)

    return _RULES


def all_rules() -> list[Rule]:
    return sorted(load_all().values(), key=lambda r: r.id)


def get_rule(rule_id: str) -> Rule:
    rules = load_all()
    if rule_id not in rules:
        raise KeyError(rule_id)
    return rules[rule_id]
