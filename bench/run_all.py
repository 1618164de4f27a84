"""Every benchmark, one after another (never two at once: they would measure each other), each table printed.

Each bench is called by path with its defaults, or with its own --quick when this runs with --quick
and the bench has one. A bench that is missing is reported and skipped; one that fails is reported
and the rest still run. Usage:

    .venv/bin/python bench/run_all.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BENCHES = ("cards.py", "publish_cost.py", "schedule_lag.py", "fanout.py", "feedback_ingest.py", "webhooks.py")


def has_quick(path: Path) -> bool:
    """Whether the bench documents a --quick option (asked through its --help, not guessed)."""
    shown = subprocess.run([sys.executable, str(path), "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return "--quick" in shown.stdout


def run(name: str, quick: bool) -> tuple[str, float]:
    path = BENCH / name
    if not path.exists():
        print(f"\n=== {name}: missing (bench/{name} does not exist yet); skipped", flush=True)
        return "missing", 0.0
    args = ["--quick"] if quick and has_quick(path) else []
    one, five, _ = os.getloadavg()
    print(f"\n=== {name} {' '.join(args)}  (load average {one:.2f} {five:.2f} on {os.cpu_count()} cores)", flush=True)
    began = time.monotonic()
    code = subprocess.run([sys.executable, str(path), *args], cwd=ROOT).returncode
    return ("ok" if code == 0 else f"exit {code}"), time.monotonic() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to the benches that have it")
    parser.add_argument("--only", nargs="+", choices=BENCHES, help="run only these")
    args = parser.parse_args()
    results = [(name, *run(name, args.quick)) for name in (args.only or BENCHES)]
    print("\n=== summary")
    for name, outcome, seconds in results:
        print(f"{name:<22}{outcome:<10}{seconds:>8.0f} s")
    return 0 if all(outcome in ("ok", "missing") for _, outcome, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
