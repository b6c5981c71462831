"""child_nodes / walk_order: the same nodes, in the same order, as the ast module's walkers."""

import ast

from douane.analysis.context import child_nodes, walk_order

SOURCE = '''
import os.path as p, sys
from . import sibling
from pkg.mod import name as alias
global_value: int = 1  # type: ignore[assignment]

@decorator(arg, key=value)
class Klass(Base, metaclass=Meta):
    """doc"""
    attr = {"a": 1, **extra, None: [x for x in range(3) if x if not x]}

    async def method(self, a, /, b=2, *args, c, d=4, e, **kwargs) -> "T":
        global g
        nonlocal_value = lambda q, *, r=1: q + r
        async with ctx() as (x, y), other():
            async for i in aiter():
                await x
                yield i
                yield from y
        return f"{a!r:>{b}} {c=}"

def outer():
    n = 0
    def inner():
        nonlocal n
        del n
    try:
        pass
    except* ValueError as err:
        raise RuntimeError() from err
    try:
        assert n, "message"
    except (TypeError, KeyError):
        pass
    else:
        pass
    finally:
        pass
    while n < 3 <= 4 and not n or n is None:
        n += 1
        break
    else:
        continue_ = n if n else -n
    match command:
        case [1, 2, *rest]:
            pass
        case {"k": 1, **others}:
            pass
        case Point(1, y=2) | Point(x=0) if guard:
            pass
        case None | True | "s" | -1 | 1 + 2j:
            pass
        case other as named:
            pass
    s = {1, 2}
    g = (v for v in s)
    d = {k: v async for k, v in it()}
    t = xs[1:2, ::3], xs[...]
    (w := 5)
    print(*args, **kwargs)
'''


def _iter_child_nodes(node):
    singletons = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
    return [c for c in ast.iter_child_nodes(node) if not isinstance(c, singletons)]


def test_child_nodes_match_iter_child_nodes():
    tree = ast.parse(SOURCE, type_comments=True)
    seen = set()
    for node in ast.walk(tree):
        assert child_nodes(node) == _iter_child_nodes(node), type(node).__name__
        seen.add(type(node).__name__)
    for name in (
        "TryStar",
        "MatchClass",
        "MatchMapping",
        "Nonlocal",
        "Global",
        "Dict",
        "arguments",
    ):
        assert name in seen


def test_walk_order_is_ast_walk_without_singletons():
    tree = ast.parse(SOURCE)
    singletons = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
    expected = [n for n in ast.walk(tree) if not isinstance(n, singletons)]
    assert walk_order(tree) == expected
    assert walk_order(tree) is walk_order(tree)  # built once per tree
