"""Helpers for tests that run real processes: `loa` commands and Celery workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def pg_env(**extra) -> dict:
    """Environment for a child process that shares this test run's PostgreSQL test database."""
    name = connection.settings_dict["NAME"]
    env = dict(os.environ, LOA_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{name}",
               DJANGO_SETTINGS_MODULE="bot.settings")
    env.update(extra)
    return env


def embedded_env(data_dir: Path, **extra) -> dict:
    """Environment for the embedded defaults: no database or broker URL, only a data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")}
    env.update(LOA_DATA_DIR=str(data_dir), LOA_LANGUAGE="en", DJANGO_SETTINGS_MODULE="bot.settings", **extra)
    return env


def loa(*args: str, env: dict, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args], env=env, cwd=ROOT, input=stdin,
        capture_output=True, text=True, timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"loa {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


class Worker:
    """A real `celery -A worker worker -B` in its own process group, stopped (or killed) at the end."""

    def __init__(self, env: dict, log_path: Path, concurrency: int = 2):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        cmd = [sys.executable, "-m", "celery", "-A", "worker", "worker", "--beat", "--loglevel", "INFO",
               "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
               "--schedule", str(log_path.with_suffix(".beat"))]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the whole process group: main process, pool children and beat, with no warning."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown; the main process stops its children
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # any straggler left in the group
        except ProcessLookupError:
            pass
        self.proc.wait(30)
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_until(predicate, *, timeout: float, what: str, worker: Worker | None = None, every: float = 0.1):
    """Poll until `predicate()` is truthy; fail with `what` (and the worker's log) on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if worker is not None and worker.proc.poll() is not None:
            raise AssertionError(f"worker exited ({worker.proc.returncode}) while waiting for {what}:\n{worker.output()[-3000:]}")
        time.sleep(every)
    log = f"\nworker log:\n{worker.output()[-3000:]}" if worker else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{log}")
