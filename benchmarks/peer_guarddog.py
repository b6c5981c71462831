"""douane beside GuardDog 3.2.0 on exactly the same local artifacts, measured in one run.

usage:
    python benchmarks/peer_guarddog.py --malicious M/manifest.csv --benign B/manifest.csv \
        [--limit-malicious N] [--limit-benign N] [--since DATE] [--jobs J] [--out DIR]

What it does, in order:

1. Makes (once) a private virtual environment under the user cache dir and installs the
   released ``guarddog==3.2.0`` into it with pip. GuardDog is never imported here and never
   a test dependency; it runs as its own CLI (``guarddog pypi scan FILE --output-format json
   --no-sandbox``: its kernel sandbox is unavailable in containers).
2. Writes each selected malware sample's inner release file into one private temp folder
   (mode 0700), because GuardDog reads files, not password zips. This is the one place a
   sample touches disk; nothing is ever executed, and the folder is removed on exit,
   on error and on SIGINT/SIGTERM. Benign files are used where they are.
3. Scans every file with douane (in ``--jobs`` worker processes) and with GuardDog (``--jobs``
   concurrent CLI runs), timing each artifact (wall and CPU) and keeping peak memory.
4. Prints recall and false-positive rate (count/total) at douane's two operating points and
   GuardDog's risk score ≥ 5 and ≥ 7, seconds per artifact (median, p99), throughput and the
   throughput ratio; writes ``peer.json`` and a per-artifact ``peer.csv`` to ``--out``.

GuardDog is pinned, so after a change to douane only douane needs to run again:
``--reuse-guarddog OLD/peer.csv`` takes GuardDog's outcome (score, wall and CPU seconds,
memory) for every file already in that table and runs GuardDog only on the others.

GuardDog refreshes its popular-package lists from the network when its bundled copies are
over 30 days old; machines without that network access would pay a failing request on
every run. The script gives it a fresh-dated copy of its own bundled lists
(``GUARDDOG_TOP_PACKAGES_CACHE_LOCATION``), which is what a connected machine has after
its first run, so GuardDog is timed at its best.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from douane.dataset.containers import PASSWORD_ZIP, PASSWORD_ZIP_TREE, read_tree_zip, repack_tree
from douane.dataset.manifest import BENIGN, MALICIOUS, Sample, read_manifest
from douane.domain import Verdict
from douane.evaluation.runner import select
from douane.scanner import ScanOptions, local_artifact, scan_artifact
from douane.sources.config import cache_dir

GUARDDOG_VERSION = "3.2.0"
GUARDDOG_POINTS = (5.0, 7.0)
FLAGGED = frozenset({Verdict.MALICIOUS, Verdict.SUSPICIOUS})


class PeerUnavailable(RuntimeError):
    """GuardDog could not be installed or started; the message says exactly why."""


# --------------------------------------------------------------------------- GuardDog install


def guarddog_venv(root: Path, python: str = sys.executable) -> Path:
    """The ``guarddog`` executable of a private venv, created and filled on first use."""
    venv = root / f"guarddog-{GUARDDOG_VERSION}"
    exe = venv / "bin" / "guarddog"
    if exe.is_file() and _guarddog_version(exe) == GUARDDOG_VERSION:
        return exe
    root.mkdir(parents=True, exist_ok=True)
    steps = [
        [python, "-m", "venv", "--clear", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"guarddog=={GUARDDOG_VERSION}"],
    ]  # fmt: skip
    for cmd in steps:
        print(f"$ {' '.join(cmd)}", file=sys.stderr)
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise PeerUnavailable(f"`{' '.join(cmd)}` exited {done.returncode}:\n{tail}")
    found = _guarddog_version(exe)
    if found != GUARDDOG_VERSION:
        raise PeerUnavailable(f"{exe} reports version {found!r}, expected {GUARDDOG_VERSION}")
    return exe


def _guarddog_version(exe: Path) -> str | None:
    try:
        done = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def fresh_top_lists(exe: Path) -> Path | None:
    """Copies of GuardDog's bundled popular-package lists, dated now (see module docstring);
    None when ``exe`` is not in a venv laid out as this script makes them."""
    venv = exe.parent.parent
    found = sorted(venv.glob("lib/python*/site-packages/guarddog/analyzer/metadata/resources"))
    if not found:
        print(f"note: no guarddog resources under {venv}; GuardDog may refresh its lists "
              "from the network on every run", file=sys.stderr)  # fmt: skip
        return None
    target = venv / "douane-fresh-resources"
    target.mkdir(exist_ok=True)
    now = int(time.time())
    for src in found[0].iterdir():
        if src.suffix == ".json":
            data = json.loads(src.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                data["downloaded_timestamp"] = now
            (target / src.name).write_text(json.dumps(data), encoding="utf-8")
        elif src.is_file():
            shutil.copyfile(src, target / src.name)
    return target


# --------------------------------------------------------------------------- the same files


@dataclass
class Item:
    """One artifact both tools scan: its label and the local file they both read."""

    sample: Sample
    file: Path | None
    problem: str | None = None


def materialise(samples: Sequence[Sample], tmp: Path) -> list[Item]:
    """Local files for every sample; malware's inner file written into ``tmp`` (never run)."""
    from douane.archive import ArchiveError, read_password_zip

    items = []
    for i, s in enumerate(samples):
        if s.container not in (PASSWORD_ZIP, PASSWORD_ZIP_TREE):
            items.append(Item(s, Path(s.path)))
            continue
        folder = tmp / str(i)
        folder.mkdir(mode=0o700)
        try:
            if s.container == PASSWORD_ZIP_TREE:
                data, name = repack_tree(read_tree_zip(Path(s.path))), f"{s.filename}.zip"
            else:
                inner, data = read_password_zip(Path(s.path))
                name = s.filename or inner
        except (ArchiveError, OSError) as exc:
            items.append(Item(s, None, f"cannot unwrap sample: {exc}"))
            continue
        path = folder / Path(name).name  # base name only: a hostile name cannot climb out
        path.write_bytes(data)
        path.chmod(0o400)  # read-only, never executable
        items.append(Item(s, path))
    return items


# --------------------------------------------------------------------------- running both


@dataclass
class Outcome:
    flags: dict[str, bool] = field(default_factory=dict)
    score: float | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    error: str | None = None
    rss_mb: float = 0.0


@dataclass
class ToolRun:
    name: str
    points: tuple[str, ...]
    outcomes: list[Outcome]
    wall_s: float
    peak_rss_mb: float
    jobs: int


def _douane_one(
    path: str, rules_only: bool, budget: float = 60.0
) -> tuple[str, float, str | None, float, float, float]:
    """One scan in a worker: verdict, score, error, wall s (the scanner's own), CPU s, RSS MB."""
    cpu0 = time.process_time()
    options = ScanOptions(rules_only=rules_only, time_budget_s=budget)
    r = scan_artifact(local_artifact(Path(path)), options)
    cpu = time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return str(r.verdict), r.score, r.error, r.elapsed_ms / 1000, cpu, rss_mb


def _douane_outcome(verdict: str, score: float | None, error: str | None, wall: float,
                    cpu: float) -> Outcome:  # fmt: skip
    v = Verdict(verdict)
    return Outcome(flags={"flagged": v in FLAGGED, "malicious": v is Verdict.MALICIOUS},
                   score=score, wall_s=wall, cpu_s=cpu,
                   error=error if v is Verdict.ERROR else None)  # fmt: skip


def douane_from_results(items: Sequence[Item], path: Path, jobs: int) -> ToolRun:
    """douane's outcomes taken from a ``douane evaluate`` run (``results.jsonl``) over the
    same files, matched by label and SHA-256: the evaluation already scanned them, so they
    are not scanned twice. Its records keep each scan's wall time, not its CPU time: the
    wall time stands in for both (an upper bound of the CPU time)."""
    found: dict[tuple[str, str], dict] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            d = json.loads(line)
            found[(d["label"], d["sha256"])] = d
    outcomes = []
    for it in items:
        d = found.get((it.sample.label, it.sample.sha256))
        if d is None:
            outcomes.append(Outcome(error=f"not in {path}"))
            continue
        wall = float(d["elapsed_ms"]) / 1000
        outcomes.append(_douane_outcome(d["verdict"], d.get("score"), d.get("error") or "error",
                                        wall, wall))  # fmt: skip
    wall = sum(o.wall_s for o in outcomes) / max(1, jobs)
    return ToolRun("douane", ("flagged", "malicious"), outcomes, wall, 0.0, jobs)


def _worker_init() -> None:
    # what douane's own workers do before their first artifact (rules, names index, model,
    # collector settings): GuardDog's start-up is in its times because its CLI pays it per file
    from douane.scanner import _worker_init as douane_worker_init

    douane_worker_init()


def run_douane(items: Sequence[Item], jobs: int, rules_only: bool,
               progress: Callable[[str], None], budget: float = 60.0) -> ToolRun:  # fmt: skip
    outcomes: list[Outcome] = []
    peak = 0.0
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init) as pool:
        futures = [pool.submit(_douane_one, str(it.file), rules_only, budget) for it in items]
        for n, fut in enumerate(futures, 1):
            try:
                verdict, score, error, wall, cpu, rss = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker costs one artifact
                outcomes.append(Outcome(error=f"worker failed: {exc}"))
                continue
            peak = max(peak, rss)
            outcomes.append(_douane_outcome(verdict, score, error, wall, cpu))
            if n % 500 == 0:
                progress(f"douane {n}/{len(items)}")
    wall = time.perf_counter() - started
    return ToolRun("douane", ("flagged", "malicious"), outcomes, wall, peak, jobs)


def _guarddog_one(exe: Path, path: Path, env: dict[str, str], timeout: float) -> Outcome:
    cmd = [str(exe), "pypi", "scan", str(path), "--output-format", "json", "--no-sandbox"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        except OSError as exc:
            return Outcome(error=f"cannot start guarddog: {exc}")
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)  # wait4: the child's own CPU and RSS
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        cpu = usage.ru_utime + usage.ru_stime
        rss_mb = usage.ru_maxrss / 1024
        out.seek(0)
        raw = out.read()
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            why = "timeout" if proc.returncode == -signal.SIGKILL else f"exit {proc.returncode}"
            return Outcome(wall_s=wall, cpu_s=cpu, error=f"{why}: {tail[0][:200]}",
                           rss_mb=rss_mb)  # fmt: skip
    try:
        score = float(json.loads(raw)["risk_score"]["score"])
    except (ValueError, KeyError, TypeError):
        return Outcome(wall_s=wall, cpu_s=cpu, error="unparsable guarddog output",
                       rss_mb=rss_mb)  # fmt: skip
    flags = {f"score>={p:g}": score >= p for p in GUARDDOG_POINTS}
    return Outcome(flags=flags, score=score, wall_s=wall, cpu_s=cpu, rss_mb=rss_mb)


GD_COLUMNS = ("guarddog_score", "guarddog_s", "guarddog_cpu_s", "guarddog_rss_mb", "guarddog_error")


def _item_key(it: Item) -> tuple[str, str, str]:
    return (it.sample.label, it.sample.sha256, it.sample.filename)


def read_guarddog_results(path: Path) -> dict[tuple[str, str, str], Outcome]:
    """GuardDog outcomes from an earlier ``peer.csv``: GuardDog is pinned, so a file's
    outcome does not change when only douane does. Rows without CPU time are not reused."""
    out: dict[tuple[str, str, str], Outcome] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row.get("guarddog_cpu_s"):
                continue
            score = float(row["guarddog_score"]) if row.get("guarddog_score") else None
            flags = ({f"score>={p:g}": score >= p for p in GUARDDOG_POINTS}
                     if score is not None else {})  # fmt: skip
            out[(row["label"], row["sha256"], row["filename"])] = Outcome(
                flags=flags, score=score, wall_s=float(row["guarddog_s"]),
                cpu_s=float(row["guarddog_cpu_s"]), rss_mb=float(row["guarddog_rss_mb"] or 0),
                error=row.get("guarddog_error") or None,
            )  # fmt: skip
    return out


JOURNAL_COLUMNS = ("label", "sha256", "filename", *GD_COLUMNS)


def _gd_cells(go: Outcome) -> list:
    """GuardDog's columns (``GD_COLUMNS``), as ``peer.csv`` and the journal both write them."""
    return ["" if go.score is None else go.score, round(go.wall_s, 3), round(go.cpu_s, 3),
            round(go.rss_mb, 1), go.error or ""]  # fmt: skip


def _journal_row(it: Item, go: Outcome) -> list:
    return [it.sample.label, it.sample.sha256, it.sample.filename, *_gd_cells(go)]


def run_guarddog(items: Sequence[Item], exe: Path | None, jobs: int, timeout: float,
                 progress: Callable[[str], None],
                 reuse: dict[tuple[str, str, str], Outcome] | None = None,
                 journal: Path | None = None) -> ToolRun:  # fmt: skip
    """GuardDog on every item (``reuse``d outcomes taken as they are, not run again).

    Each fresh outcome is appended to ``journal`` as it arrives (same columns as
    ``peer.csv``), so an interrupted run of several hours loses at most the runs in flight:
    the next run reads the journal back as ``reuse``."""
    reuse = reuse or {}
    todo = [it for it in items if _item_key(it) not in reuse]
    fresh: dict[int, Outcome] = {}
    started = time.perf_counter()
    if todo:
        if exe is None:
            raise PeerUnavailable("GuardDog needed for files not in the reused results")
        env = dict(os.environ)
        lists = fresh_top_lists(exe)
        if lists is not None:
            env["GUARDDOG_TOP_PACKAGES_CACHE_LOCATION"] = str(lists)
        handle = None
        if journal is not None:
            new_file = not journal.exists()
            journal.parent.mkdir(parents=True, exist_ok=True)
            handle = journal.open("a", newline="", encoding="utf-8")
            writer = csv.writer(handle)
            if new_file:
                writer.writerow(JOURNAL_COLUMNS)
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            futures = [(it, pool.submit(_guarddog_one, exe, it.file, env, timeout))
                       for it in todo]  # fmt: skip
            for n, (it, fut) in enumerate(futures, 1):
                fresh[id(it)] = fut.result()
                if handle is not None:
                    writer.writerow(_journal_row(it, fresh[id(it)]))
                    handle.flush()
                if n % 100 == 0:
                    progress(f"guarddog {n}/{len(todo)}")
        finally:
            # On SIGTERM/Ctrl-C, drop the queued runs instead of draining them (a ``with``
            # block would wait for every one); the runs in flight end with their timeout.
            pool.shutdown(wait=False, cancel_futures=True)
            if handle is not None:
                handle.close()
    wall = time.perf_counter() - started
    outcomes = [reuse[_item_key(it)] if _item_key(it) in reuse else fresh[id(it)]
                for it in items]  # fmt: skip
    if reuse and todo:
        progress(f"guarddog: {len(items) - len(todo)} outcomes reused, {len(todo)} run")
    if len(todo) < len(items):
        # Reused outcomes have no wall time of this run: estimate it from the per-file times
        # as if ``jobs`` runs were always busy (what the fresh runs achieve, near enough).
        wall = sum(o.wall_s for o in outcomes) / max(1, jobs)
    peak = max((o.rss_mb for o in outcomes), default=0.0)
    points = tuple(f"score>={p:g}" for p in GUARDDOG_POINTS)
    return ToolRun(f"guarddog {GUARDDOG_VERSION}", points, outcomes, wall, float(peak), jobs)


# --------------------------------------------------------------------------- figures


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:5.1f}% ({num}/{den})" if den else "n/a"


def _q(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]


def figures(run: ToolRun, items: Sequence[Item], point: str) -> dict:
    tp = fn = fp = tn = mal_err = ben_err = 0
    for it, o in zip(items, run.outcomes, strict=True):
        mal = it.sample.label == MALICIOUS
        if o.error:
            mal_err += mal
            ben_err += not mal
            continue
        hit = o.flags.get(point, False)
        if mal:
            tp, fn = tp + hit, fn + (not hit)
        else:
            fp, tn = fp + hit, tn + (not hit)
    return {"tp": tp, "fn": fn, "fp": fp, "tn": tn, "malicious_errors": mal_err,
            "benign_errors": ben_err}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--malicious", type=Path, required=True, help="normalised malware manifest")
    ap.add_argument("--benign", type=Path, required=True, help="benign corpus manifest")
    ap.add_argument("--limit-malicious", type=int, default=None)
    ap.add_argument("--limit-benign", type=int, default=None)
    ap.add_argument("--since", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per GuardDog run")
    ap.add_argument("--rules-only", action="store_true", help="douane: rules weighting")
    ap.add_argument("--time-budget", type=float, default=60.0, help="douane: seconds per file")
    ap.add_argument("--peers-dir", type=Path, default=cache_dir() / "peers")
    ap.add_argument("--guarddog", type=Path, default=None, help="use this guarddog executable")
    ap.add_argument("--out", type=Path, default=cache_dir() / "eval" / "peer")
    ap.add_argument(
        "--reuse-guarddog",
        type=Path,
        default=None,
        metavar="PEER_CSV",
        help="take GuardDog's outcome for files already in this earlier peer.csv",
    )
    ap.add_argument("--guarddog-only", action="store_true",
                    help="run (or finish) GuardDog into OUT/guarddog-journal.csv and stop")  # fmt: skip
    ap.add_argument("--douane-results", type=Path, default=None, metavar="RESULTS_JSONL",
                    help="take douane's outcomes from a douane evaluate results.jsonl "
                         "(same files) instead of scanning again")  # fmt: skip
    a = ap.parse_args(argv)

    def progress(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    sel = select(read_manifest(a.malicious), read_manifest(a.benign), since=a.since,
                 limit_malicious=a.limit_malicious, limit_benign=a.limit_benign, seed=a.seed)  # fmt: skip
    reuse = read_guarddog_results(a.reuse_guarddog) if a.reuse_guarddog else {}
    journal = a.out / "guarddog-journal.csv"
    if journal.exists():  # outcomes of an interrupted earlier run into the same --out
        reuse.update(read_guarddog_results(journal))
    exe: Path | None = a.guarddog
    if exe is None and len(reuse) < len(sel.samples):
        try:
            exe = guarddog_venv(a.peers_dir)
        except PeerUnavailable as exc:
            print(f"GuardDog {GUARDDOG_VERSION} unavailable: {exc}", file=sys.stderr)
            return 3
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="douane-peer-"))
    os.chmod(tmp, 0o700)

    def _stop(signum, _frame):  # SIGTERM/SIGHUP: unwind so the finally below removes tmp
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    try:
        progress(f"unwrapping {len(sel.samples)} artifacts into {tmp}")
        all_items = materialise(sel.samples, tmp)
        items = [it for it in all_items if it.file is not None]
        unwrapped_fail = [it for it in all_items if it.file is None]
        progress(f"guarddog on {len(items)} files, {a.jobs} concurrent runs")
        try:
            g = run_guarddog(items, exe, a.jobs, a.timeout, progress, reuse, journal)
        except PeerUnavailable as exc:
            print(f"GuardDog {GUARDDOG_VERSION} unavailable: {exc}", file=sys.stderr)
            return 3
        if a.guarddog_only:
            progress(f"GuardDog outcomes are in {journal}; douane not run (--guarddog-only)")
            return 0
        if a.douane_results is not None:
            progress(f"douane outcomes from {a.douane_results}")
            d = douane_from_results(items, a.douane_results, a.jobs)
        else:
            progress(f"douane on {len(items)} files, {a.jobs} jobs")
            d = run_douane(items, a.jobs, a.rules_only, progress, a.time_budget)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()

    n_mal = sum(it.sample.label == MALICIOUS for it in items)
    n_ben = sum(it.sample.label == BENIGN for it in items)
    table = []
    for run, point, label in (
        (d, "flagged", "douane malicious|suspicious"),
        (d, "malicious", "douane malicious only"),
        (g, "score>=5", "guarddog score >= 5"),
        (g, "score>=7", "guarddog score >= 7"),
    ):
        f = figures(run, items, point)
        walls = [o.wall_s for o in run.outcomes]
        cpus = [o.cpu_s for o in run.outcomes]
        table.append({
            "tool": label, **f,
            "recall": _pct(f["tp"], f["tp"] + f["fn"]),
            "fpr": _pct(f["fp"], f["fp"] + f["tn"]),
            "median_s": statistics.median(walls) if walls else float("nan"),
            "p99_s": _q(walls, 99), "median_cpu_s": statistics.median(cpus) if cpus else 0.0,
            "p99_cpu_s": _q(cpus, 99),
            "throughput": len(items) / run.wall_s if run.wall_s else 0.0,
            "files_per_cpu_s": len(items) / sum(cpus) if sum(cpus) else 0.0,
            "peak_rss_mb": run.peak_rss_mb,
        })  # fmt: skip
    ratio = table[0]["throughput"] / table[2]["throughput"] if table[2]["throughput"] else 0.0
    cpu_ratio = (table[0]["files_per_cpu_s"] / table[2]["files_per_cpu_s"]
                 if table[2]["files_per_cpu_s"] else 0.0)  # fmt: skip

    print(f"\nSame {len(items)} files ({n_mal} malicious, {n_ben} benign), {a.jobs} jobs each; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after.")  # fmt: skip
    if unwrapped_fail:
        print(f"{len(unwrapped_fail)} samples could not be unwrapped and are left out of both.")
    head = f"{'':30} {'recall':>20} {'false-positive rate':>20} {'errors m/b':>10} " \
           f"{'median s':>9} {'p99 s':>8} {'CPU s med':>9} {'CPU p99':>8} {'files/s':>8} {'peak MB':>8}"  # fmt: skip
    print(head)
    for row in table:
        print(f"{row['tool']:30} {row['recall']:>20} {row['fpr']:>20} "
              f"{row['malicious_errors']:>4}/{row['benign_errors']:<5} {row['median_s']:9.3f} "
              f"{row['p99_s']:8.3f} {row['median_cpu_s']:9.3f} {row['p99_cpu_s']:8.3f} {row['throughput']:8.2f} "
              f"{row['peak_rss_mb']:8.0f}")  # fmt: skip
    print(
        f"throughput ratio douane / guarddog: {ratio:.1f}x wall-clock, {cpu_ratio:.1f}x per "
        "CPU-second (the CPU figure is the one to trust on a busy machine)"
    )
    gd5, dou = table[2], table[0]
    print("targets: recall >= guarddog@5: "
          f"{'yes' if dou['tp'] * (gd5['tp'] + gd5['fn']) >= gd5['tp'] * (dou['tp'] + dou['fn']) else 'no'}; "
          f"benign flagged <= 1/5 of guarddog@5 ({dou['fp']} vs {gd5['fp']}): "
          f"{'yes' if 5 * dou['fp'] <= gd5['fp'] else 'no'}; throughput >= 10x: "
          f"{'yes' if ratio >= 10 else 'no'}")  # fmt: skip
    print(
        "Seconds per artifact: douane as its scanner times each file in a worker; GuardDog "
        "per CLI run, start-up included (one process per file, as its CLI is used). Peak MB: "
        "douane = largest worker; guarddog = largest single run."
    )

    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "peer.json").write_text(json.dumps({
        "files": len(items), "malicious": n_mal, "benign": n_ben, "jobs": a.jobs,
        "load_before": load_before, "load_after": load_after, "table": table,
        "throughput_ratio": ratio, "cpu_throughput_ratio": cpu_ratio, "left_out": [asdict(it.sample) | {"problem": it.problem}
                                                for it in unwrapped_fail],
        "command": " ".join(sys.argv),
    }, indent=2, default=str) + "\n")  # fmt: skip
    with (a.out / "peer.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["label", "name", "version", "filename", "sha256", "douane_flagged",
                    "douane_malicious", "douane_score", "douane_s", "douane_cpu_s",
                    "douane_error", *GD_COLUMNS])  # fmt: skip
        for it, do, go in zip(items, d.outcomes, g.outcomes, strict=True):
            w.writerow([it.sample.label, it.sample.name, it.sample.version, it.sample.filename,
                        it.sample.sha256, do.flags.get("flagged"), do.flags.get("malicious"),
                        do.score, round(do.wall_s, 4), round(do.cpu_s, 4), do.error or "",
                        *_gd_cells(go)])  # fmt: skip
    print(f"wrote {a.out / 'peer.json'} and {a.out / 'peer.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
