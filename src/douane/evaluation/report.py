"""Writes the evaluation report: ``report.json`` (all figures) and ``report.md`` (for people)."""

from __future__ import annotations

import json
from pathlib import Path

from douane.evaluation.plots import plot_curve, plot_rules

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
CURVE_PNG = "recall_vs_fpr.png"
RULES_PNG = "rule_hits.png"
EXAMPLE_RULES = 10  # rules with benign examples shown in the Markdown
EXAMPLES_PER_RULE = 5
MAX_LISTED = 300  # flagged benign / errors listed in the Markdown (all are in the JSON)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f} %"


def _ms(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.0f} ms" if x >= 10 else f"{x:.1f} ms"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_report(report: dict, out_dir: Path) -> dict[str, Path]:
    """Write JSON, Markdown and both figures into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = report["summary"]
    n_benign = summary["verdicts"].get("benign", {}).get("total", 0)
    paths = {
        "json": out_dir / REPORT_JSON,
        "markdown": out_dir / REPORT_MD,
        "curve": plot_curve(summary, n_benign, out_dir / CURVE_PNG),
        "rules": plot_rules(summary, out_dir / RULES_PNG),
    }
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")  # fmt: skip
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    return paths


def render_markdown(report: dict) -> str:
    meta, sel, run, s = report["meta"], report["selection"], report["run"], report["summary"]
    v = s["verdicts"]
    mal_n, ben_n = v.get("malicious", {}).get("total", 0), v.get("benign", {}).get("total", 0)
    out: list[str] = []
    w = out.append
    w("# douane evaluation\n")
    w(f"- command: `{meta['command']}`")
    w(f"- douane {meta['version']} (commit {meta.get('commit') or 'unknown'}), "
      f"{meta['rules']} rules, scoring: {meta['scoring']}, {run['jobs']} jobs, "
      f"{meta['cpus']} CPUs, at {meta['started']}")  # fmt: skip
    w(f"- malicious: {mal_n} artifacts from `{meta['malicious_manifest']}`"
      + (f" (first seen ≥ {meta['since']}; {sel['before_since']} earlier and "
         f"{sel['no_date']} undated left out)" if meta.get("since") else ""))  # fmt: skip
    w(f"- benign: {ben_n} artifacts from `{meta['benign_manifest']}`")
    skipped = {k: n for k, n in sel["label_only"].items() if n}
    if skipped:
        w(f"- label-only rows (no file to scan) left out: {skipped}")
    if any(sel["limited"].values()):
        w(f"- random subset (seed {meta['seed']}): left out {sel['limited']}")
    scanners = s.get("scanners") or {}
    if len(scanners) > 1:
        w(f"- **warning: these results come from {len(scanners)} different scanner versions** "
          f"(code ids {scanners}); re-run without `--resume` for figures of one scanner")  # fmt: skip
    elif meta.get("code"):
        w(f"- scanner code id `{meta['code']}` (hash of the package's code, rules and model)")
    w(
        "- a file is **flagged** when its verdict is `malicious` or `suspicious` (the review "
        "queue); errors are outside every denominator and counted apart.\n"
    )

    w("## Headline\n")
    w("| operating point | recall | precision | false-positive rate | errors (mal / ben) |")
    w("|---|---|---|---|---|")
    for key, title in (("flagged", "malicious or suspicious"), ("malicious", "malicious only")):
        op = s["operating_points"][key]
        w(f"| {title} | {_pct(op['recall'])} ({op['tp']}/{op['tp'] + op['fn']}) "
          f"| {_pct(op['precision'])} ({op['tp']}/{op['tp'] + op['fp']}) "
          f"| {_pct(op['fpr'])} ({op['fp']}/{op['fp'] + op['tn']}) "
          f"| {op['malicious_errors']} / {op['benign_errors']} |")  # fmt: skip
    op = s["operating_points"]["flagged"]
    g = s["group_recall"]
    w("")
    w(f"Recall counting scan errors as misses: {_pct(op['recall_errors_as_missed'])}. "
      f"Per near-duplicate group ({g['groups']} groups, largest {g['largest']}): "
      f"{_pct(g['any'])} of groups have a member flagged, mean within-group recall "
      f"{_pct(g['macro'])}.\n")  # fmt: skip

    rw = s.get("rules_weighting")
    if rw:
        f, m = rw["flagged"], rw["malicious"]
        w(f"Same findings under the rules weighting (`--rules-only`): flagged recall "
          f"{_pct(f['recall'])}, false-positive rate {_pct(f['fpr'])} ({f['fp']}/"
          f"{f['fp'] + f['tn']}); malicious only: recall {_pct(m['recall'])}, false-positive "
          f"rate {_pct(m['fpr'])} ({m['fp']}/{m['fp'] + m['tn']}).\n")  # fmt: skip
    sf = s.get("same_fpr")
    if sf:
        w(
            "\nAt the same false-positive rate (the strictest score cut keeping benign hits within "
            "the target; ties count against the scorer):\n"
        )
        w(
            "| false-positive rate at most | model recall | model FP | rules-weighting recall | rules FP |"
        )
        w("|---|---|---|---|---|")
        for m, r in zip(sf["model"], sf["rules"], strict=True):
            w(f"| {m['target'] * 100:g} % | {_pct(m['recall'])} ({m['tp']}/{m['malicious']}) | "
              f"{m['fp']}/{m['benign']} | {_pct(r['recall'])} ({r['tp']}/{r['malicious']}) | "
              f"{r['fp']}/{r['benign']} |")  # fmt: skip
        w("")
    d = s.get("diff") or {}
    if d.get("files_with_baseline"):
        w(f"Diff mode: {d['files_with_baseline']} files scanned against their previous release "
          f"({d['flagged_with_baseline']} flagged); {d['new_findings']} of their "
          f"{d['findings']} findings are new ({_pct(d['share_new'])}), in "
          f"{d['files_with_new_findings']} files.\n")  # fmt: skip

    w("### Verdicts\n")
    w("| label | malicious | suspicious | clean | error | total |")
    w("|---|---|---|---|---|---|")
    for label, c in v.items():
        w(f"| {label} | {c.get('malicious', 0)} | {c.get('suspicious', 0)} | {c.get('clean', 0)} "
          f"| {c.get('error', 0)} | {c.get('total', 0)} |")  # fmt: skip
    w("")
    w(f"![recall vs false-positive rate]({report['files']['curve']})\n")

    t, rs = s["timing"], run
    w("## Cost\n")
    w("| set | files | median | p95 | p99 | max | mean |")
    w("|---|---|---|---|---|---|---|")
    for key in ("benign", "malicious", "all"):
        x = t[key]
        w(f"| {key} | {x['n']} | {_ms(x['median_ms'])} | {_ms(x['p95_ms'])} | {_ms(x['p99_ms'])} "
          f"| {_ms(x['max_ms'])} | {_ms(x['mean_ms'])} |")  # fmt: skip
    w("")
    if rs.get("reused"):
        w(f"{rs['reused']} records were reused from an earlier pass (`--resume`); the wall "
          "time and rate below cover only the artifacts scanned in this pass.\n")  # fmt: skip
    w(
        f"Wall time {rs['wall_s']:.1f} s for {rs['scanned']} artifacts on {rs['jobs']} jobs: "
        f"**{rs['artifacts_per_s']:.1f} artifacts/s**. Peak memory (max RSS): largest worker "
        f"{rs['children_max_rss_mb']:.0f} MB, parent {rs['self_max_rss_mb']:.0f} MB. "
        f"Load average {rs.get('load_before', 0):.1f} at the start, {rs.get('load_after', 0):.1f} "
        f"at the end on {meta['cpus']} CPUs (times are wall-clock). "
        "Malware times include decrypting each sample's password zip in memory "
        "(pure-Python ZipCrypto), which an index never pays; the benign row is the upload case.\n"
    )
    w("Slowest artifacts:\n")
    for x in t["slowest"][:5]:
        w(f"- {_cell(x['filename'])} ({x['label']}, {x['verdict']}): {_ms(x['ms'])}")
    w("")

    w("## Rules (the rules that cost precision first)\n")
    w(f"![per-rule hits]({report['files']['rules']})\n")
    w(
        "| rule | benign hits on flagged files | benign hits | malicious hits | benign rate "
        "| malicious rate |"
    )
    w("|---|---|---|---|---|---|")
    for r in s["rules"]:
        w(f"| {r['rule']} | {r['benign_flagged_hits']} | {r['benign_hits']} "
          f"| {r['malicious_hits']} | {_pct(r['benign_rate'])} | {_pct(r['malicious_rate'])} |")  # fmt: skip
    w("")
    shown = [r for r in s["rules"] if r.get("benign_examples")][:EXAMPLE_RULES]
    if shown:
        w("Where the rules that fire most on benign files fire (flagged files first):\n")
        for r in shown:
            w(f"- **{r['rule']}** ({r['benign_hits']} benign files)")
            for ex in r["benign_examples"][:EXAMPLES_PER_RULE]:
                text = _cell(ex)[:180].replace("`", "'")
                w(f"  - `{text}`")
        w("")

    w("## By file kind\n")
    _table(w, s["by_kind"])
    w("## By benign stratum\n")
    _table(w, s["by_stratum"], malicious=False)
    w("## By malware source\n")
    _table(w, s["by_source"], benign=False)
    w("## By year first seen (malware)\n")
    _table(w, s["by_year"], benign=False)

    fb = s["flagged_benign"]
    w(f"## Flagged benign files ({len(fb)})\n")
    w("A benign label is a presumption (the long tail may hold malware): each needs a look.\n")
    if fb:
        w("| project | file | stratum | verdict | score | top reasons |")
        w("|---|---|---|---|---|---|")
        for x in fb[:MAX_LISTED]:
            reasons = "<br>".join(_cell(r)[:160] for r in x["reasons"]) or ", ".join(x["rules"])
            w(f"| {_cell(x['name'])} {_cell(x['version'])} | {_cell(x['filename'])} "
              f"| {x['stratum']} | {x['verdict']} | {x['score']:.2f} | {reasons} |")  # fmt: skip
        if len(fb) > MAX_LISTED:
            w(f"\n… and {len(fb) - MAX_LISTED} more in `report.json`.")
    w("")
    errs = s["errors"]
    w(f"## Scan errors ({len(errs)})\n")
    for x in errs[:MAX_LISTED]:
        w(f"- {x['label']}: {_cell(x['name'])} {_cell(x['filename'])}: {_cell(x['error'])[:200]}")
    if len(errs) > MAX_LISTED:
        w(f"- … and {len(errs) - MAX_LISTED} more in `report.json`.")
    w("")
    return "\n".join(out)


def _table(w, rows: dict, *, malicious: bool = True, benign: bool = True) -> None:
    head = ["group"]
    if malicious:
        head += ["malware", "caught", "recall"]
    if benign:
        head += ["benign", "flagged", "FPR"]
    head.append("errors")
    w("| " + " | ".join(head) + " |")
    w("|" + "---|" * len(head))
    for key, x in rows.items():
        cells = [_cell(key)]
        if malicious:
            cells += [str(x["malicious"]), str(x["caught"]), _pct(x["recall"])]
        if benign:
            cells += [str(x["benign"]), str(x["flagged_benign"]), _pct(x["fpr"])]
        cells.append(str(x["errors"]))
        w("| " + " | ".join(cells) + " |")
    w("")
