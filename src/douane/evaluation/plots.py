"""PNG figures for the evaluation report (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CI and servers have no display

import matplotlib.pyplot as plt  # noqa: E402


def plot_curve(summary: dict, n_benign: int, path: Path) -> Path:
    """Recall against false-positive rate (log x) as the score threshold moves.

    A log axis because the interesting region is FPR ≤ 1 %; a zero FPR cannot be drawn on
    it, so it is shown at half of one benign file (marked in the caption).
    """
    points = summary.get("curve") or []
    floor = 0.5 / n_benign if n_benign else 1e-4
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    if points:
        xs = [max(p["fpr"], floor) for p in points]
        ys = [p["recall"] for p in points]
        ax.step(xs, ys, where="post", color="#1f5fa8", lw=1.6, label="douane score threshold")
    markers = {"flagged": ("o", "#d9480f", "malicious or suspicious"),
               "malicious": ("s", "#2b8a3e", "malicious only")}  # fmt: skip
    for key, (marker, colour, label) in markers.items():
        op = summary["operating_points"][key]
        if op["recall"] is not None and op["fpr"] is not None:
            ax.plot(max(op["fpr"], floor), op["recall"], marker, color=colour, ms=8,
                    label=f"shipped: {label}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(floor / 2, 1.05)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"false-positive rate (log; 0 drawn at {floor:.1e})")
    ax.set_ylabel("recall")
    ax.set_title("Recall vs false-positive rate")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_rules(summary: dict, path: Path, top: int = 25) -> Path:
    """Share of malicious and of benign artifacts each rule fires on (the busiest rules)."""
    rows = sorted(summary.get("rules") or [],
                  key=lambda r: -(r["malicious_hits"] + r["benign_hits"]))[:top]  # fmt: skip
    rows.reverse()
    fig, ax = plt.subplots(figsize=(7.0, max(2.5, 0.32 * len(rows) + 1.2)), dpi=120)
    if rows:
        ys = range(len(rows))
        mal = [100 * (r["malicious_rate"] or 0) for r in rows]
        ben = [100 * (r["benign_rate"] or 0) for r in rows]
        ax.barh([y + 0.2 for y in ys], mal, height=0.4, color="#c92a2a", label="malicious")
        ax.barh([y - 0.2 for y in ys], ben, height=0.4, color="#1971c2", label="benign")
        for y, r in zip(ys, rows, strict=True):
            ax.text(max(mal[y], ben[y]) + 0.5, y, f"{r['malicious_hits']} / {r['benign_hits']}",
                    va="center", fontsize=7)  # fmt: skip
        ax.set_yticks(list(ys), [r["rule"] for r in rows], fontsize=8)
        ax.legend(loc="lower right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no rule fired", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("% of artifacts hit (labels: malicious / benign counts)")
    ax.set_title("Per-rule hits")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
