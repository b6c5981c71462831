"""Measuring douane on labelled corpora: scan, keep every result, report recall, FPR and cost."""
