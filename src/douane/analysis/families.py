"""Imports every rule family so the registry is complete; a new family is one import here."""

import importlib

FAMILY_MODULES = (
    "douane.analysis.install_time",
    "douane.analysis.process",
    "douane.analysis.dynamic_code",
    "douane.analysis.download",
    "douane.analysis.exfiltration",
    "douane.analysis.persistence",
    "douane.analysis.obfuscation",
    "douane.analysis.payload_files",
    "douane.analysis.metadata",
    "douane.analysis.archive_issues",
    "douane.analysis.names",
    "douane.analysis.diff",
)

LOADED: list[str] = []
for _module in FAMILY_MODULES:
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as exc:  # a family still being written must not break the rest
        if exc.name != _module:
            raise
    else:
        LOADED.append(_module)
