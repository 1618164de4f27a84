"""The processes the chaos harness breaks: a private redis-server, Celery workers and one beat.

Each Celery process runs in its own session, so a kill takes a worker's whole process group (the
main process and its pool children) at once, with no warning, as the kernel's OOM killer or a lost
machine would. The Redis server is the harness's own (never the machine's shared one), started
without persistence, so a restart loses every queued message and every rate-limit bucket.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from bot.cli.run_cmd import worker_command

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def why_it_died(log: str) -> str:
    """Celery's own verdict ("Unrecoverable error: ...") when it gave one, else the last line logged.
    (Pool processes share the log, so the main process's last words are not always the last line.)"""
    lines = [line for line in log.splitlines() if line.strip()]
    verdicts = [line for line in lines if "Unrecoverable error" in line]
    return (verdicts or lines or ["(no output)"])[-1][:240]


class RedisServer:
    """`redis-server` on a port of its own; `restart()` kills it and starts an empty one on the same port."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or free_port()
        self.log_path = workdir / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--logfile", str(self.log_path), "--dir", str(self.log_path.parent)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(10)

    def restart(self, outage: float) -> float:
        """Kill without a save, stay down `outage` seconds (the outage itself, not a wait for anything),
        start again empty; returns how long the broker was gone (seconds)."""
        began = time.monotonic()
        self.kill()
        time.sleep(outage)
        self.start()
        return time.monotonic() - began

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()


class Group:
    """One Celery process in its own session: a worker (main process + pool children) or the beat."""

    def __init__(self, cmd: list[str], env: dict, log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def children(self) -> list[int]:
        """The main process's children, whichever of its threads forked them (billiard replaces dead
        pool processes from a helper thread, and /proc lists children per thread)."""
        pids = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            try:
                pids += [int(pid) for pid in (task / "children").read_text().split()]
            except OSError:
                continue
        return pids

    def kill(self) -> None:
        """SIGKILL the whole process group, then reap the main process."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(30)
        self._log.close()

    def kill_child(self, rng: random.Random) -> bool:
        """SIGKILL one pool child (the main process forks a new one); False when there is none yet."""
        children = self.children()
        if not children:
            return False
        try:
            os.kill(rng.choice(children), signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Cluster:
    """`workers` Celery workers of `concurrency` processes each, plus one beat, all with `env`."""

    def __init__(self, env: dict, workdir: Path, workers: int, concurrency: int):
        self.env, self.workdir, self.concurrency = env, workdir, concurrency
        self.started = 0
        self.workers = [self._worker() for _ in range(workers)]
        self.beat = self._beat()
        self.beat_restarts = 0
        self.self_exits: list[str] = []  # workers that died without our kill, with the last line they logged

    def _worker(self) -> Group:
        self.started += 1
        cmd = worker_command(beat=False, concurrency=self.concurrency) + ["--hostname", f"chaos{self.started}@%h"]
        return Group(cmd, self.env, self.workdir / f"worker-{self.started}.log")

    def _beat(self) -> Group:
        cmd = [sys.executable, "-m", "celery", "-A", "worker", "beat", "--loglevel", "INFO",
               "--schedule", str(self.workdir / "celerybeat-schedule")]
        return Group(cmd, self.env, self.workdir / "beat.log")

    def kill_worker(self, rng: random.Random) -> None:
        """SIGKILL a random worker's process group and start a fresh worker in its place."""
        victim = self.workers.pop(rng.randrange(len(self.workers)))
        victim.kill()
        self.workers.append(self._worker())

    def kill_pool_child(self, rng: random.Random) -> bool:
        """SIGKILL one pool child of a random worker that has some; False when none has any yet."""
        ready = [w for w in self.workers if w.children()]
        return bool(ready) and rng.choice(ready).kill_child(rng)

    def keep_up(self) -> None:
        """Replace a worker or the beat that died without our kill, and remember why it said it died.

        (Seen: Celery exits with "Could not start worker processes" when a pool child is killed while
        the pool is starting; a supervisor restarts it, as this does.)"""
        for n, worker in enumerate(self.workers):
            if not worker.alive():
                self.self_exits.append(f"{worker.log_path.name} (exit {worker.proc.returncode}): "
                                       f"{why_it_died(worker.log())}")
                worker.kill()
                self.workers[n] = self._worker()
        if not self.beat.alive():
            self.self_exits.append(f"beat (exit {self.beat.proc.returncode}): {why_it_died(self.beat.log())}")
            self.beat.kill()
            self.beat = self._beat()
            self.beat_restarts += 1

    def stop(self) -> None:
        for group in [*self.workers, self.beat]:
            group.stop()

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
