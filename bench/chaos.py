"""Chaos: publish N deliveries while killing workers, restarting Redis and cutting database connections;
then count, per delivery, how many times it reached its fake platform. Zero duplicates, zero silent losses.

Runs against PostgreSQL on 127.0.0.1 (its own database `loa_chaos`, dropped afterwards) and its own
redis-server on a free port (never the machine's Redis). The workers are real `loa worker` processes
(Celery, prefork) and one `celery beat`; the platforms are the sandbox fakes on loopback. Usage:

    .venv/bin/python bench/chaos.py            # reduced size, as in CI: 200 deliveries, a kill every ~6 s
    .venv/bin/python bench/chaos.py --full     # 2,000 deliveries, a kill every ~3 s for 3 minutes
    .venv/bin/python bench/chaos.py --seed 42 --keep   # replay a schedule; keep the database and logs

Exit status 0 when every delivery ended acceptably, 1 otherwise (the table says which failed, and why).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the harness lives in tests/chaos, shared with the CI test
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "loa_chaos"


def recreate_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="2,000 deliveries, a kill every 3 s (the published run)")
    parser.add_argument("--deliveries", type=int, help="how many deliveries (default 200, or 2,000 with --full)")
    parser.add_argument("--kill-every", type=float, help="mean seconds between kills (default 6, or 3 with --full)")
    parser.add_argument("--chaos", type=float, help="seconds of chaos from the first due time")
    parser.add_argument("--window", type=float, help="seconds over which the deliveries fall due")
    parser.add_argument("--workers", type=int, help="worker processes groups (default 3, or 4 with --full)")
    parser.add_argument("--concurrency", type=int, help="pool processes per worker (default 2, or 4 with --full)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the database loa_chaos and the logs")
    return parser.parse_args()


def plan_from(args, harness):
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 24)
    plan = harness.Plan.full(seed) if args.full else harness.Plan(seed=seed)
    given = {"deliveries": args.deliveries, "kill_every": args.kill_every, "chaos": args.chaos,
             "window": args.window, "workers": args.workers, "concurrency": args.concurrency}
    return dataclasses.replace(plan, **{k: v for k, v in given.items() if v is not None})


def main() -> int:
    args = arguments()
    recreate_database()
    workdir = Path(tempfile.mkdtemp(prefix="loa-chaos-"))
    os.environ.update(LOA_DATA_DIR=str(workdir / "data"), LOA_LANGUAGE="en", DJANGO_SETTINGS_MODULE="bot.settings",
                      LOA_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}")
    import django

    django.setup()
    from django.core.management import call_command

    from bot.org import get_user, unit_add, user_add
    from tests.chaos import harness

    plan = plan_from(args, harness)
    try:
        call_command("migrate", verbosity=0)
        unit = unit_add(slug="chaos", name="Phường Thử nghiệm")
        user_add(username="lan", role="editor", unit_slug="chaos", password="chaos-password-1")
        user_add(username="minh", role="approver", unit_slug="chaos", password="chaos-password-2")
        report = harness.run(plan, unit=unit, author=get_user("lan"), approver=get_user("minh"),
                             base_env=dict(os.environ), workdir=workdir)
    finally:
        django.db.connections.close_all()
        if not args.keep:
            drop_database()
            shutil.rmtree(workdir, ignore_errors=True)
    print(report.text())
    if args.keep:
        print(f"\nkept: database {DB_NAME}, logs in {workdir}")
    return 0 if report.settled and not report.verdict.failures else 1


if __name__ == "__main__":
    sys.exit(main())
