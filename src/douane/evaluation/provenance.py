"""Which scanner produced a result: a hash of the code, rules and model that ran.

Rules and the model change while people measure; a report that mixes results of two
scanners would credit one with the other's recall. The id changes whenever any file of
the installed ``douane`` package changes, committed or not.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import douane

_SUFFIXES = frozenset({".py", ".json", ".txt", ".csv", ".tsv", ".toml", ".yaml", ".yml", ".bin"})


@cache
def code_id() -> str:
    """12 hex digits over every source, rule and model file of the package."""
    root = Path(douane.__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in _SUFFIXES and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:12]
