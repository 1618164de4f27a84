"""`loa run` and `loa worker`: the whole of Loa in one command, and a worker alone.

`loa run` applies pending migrations, serves the back-office with waitress in this process and
starts a Celery worker with embedded beat as a child; Ctrl-C (or SIGTERM) stops both cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext as _
from django.core.wsgi import get_wsgi_application
from waitress import create_server

log = logging.getLogger("loa.run")
STOP_TIMEOUT = 30


def register(sub) -> None:
    p = sub.add_parser("run", help="web back-office, worker and beat together")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--concurrency", type=int, default=None, help="worker processes (default: 2 on SQLite, 4 otherwise)")
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("web", help="only the web back-office and webhooks (for web machines behind a proxy)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8, help="waitress threads (requests served at once)")
    p.set_defaults(handler=cmd_web)
    p = sub.add_parser("worker", help="a Celery worker (add --beat on exactly one machine)")
    p.add_argument("--beat", action="store_true")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--queues", help="comma-separated queues (default: all)")
    p.set_defaults(handler=cmd_worker)


def worker_command(*, beat: bool, concurrency: int, queues: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "celery", "-A", "worker", "worker", "--loglevel", "INFO",
           "--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]
    if beat:
        cmd.append("--beat")
    if queues:
        cmd += ["--queues", queues]
    return cmd


def cmd_worker(args) -> int:
    cmd = worker_command(beat=args.beat, concurrency=args.concurrency, queues=args.queues)
    os.execv(cmd[0], cmd)
    return 0  # not reached


def cmd_web(args) -> int:
    """Serve until SIGINT/SIGTERM; migrations are `loa migrate`'s job, once per release, not every web machine's."""
    try:
        server = create_server(get_wsgi_application(), host=args.host, port=args.port, threads=args.threads)
    except OSError as exc:
        print(_("loa: error: cannot listen on %(host)s:%(port)s: %(why)s") % {
            "host": args.host, "port": args.port, "why": exc.strerror}, file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda signum, frame: server.close())
    print(_("Loa web is serving http://%(host)s:%(port)s/ (Ctrl-C stops it)") % {"host": args.host, "port": args.port},
          flush=True)
    try:
        server.run()
    except (OSError, ValueError, KeyboardInterrupt):
        pass  # closed by a signal
    return 0


def cmd_run(args) -> int:
    call_command("migrate", interactive=False, verbosity=0)
    concurrency = args.concurrency or (2 if settings.LOA.uses_sqlite else 4)
    try:
        server = create_server(get_wsgi_application(), host=args.host, port=args.port, threads=8)
    except OSError as exc:
        print(_("loa: error: cannot listen on %(host)s:%(port)s: %(why)s") % {
            "host": args.host, "port": args.port, "why": exc.strerror}, file=sys.stderr)
        return 1
    worker = subprocess.Popen(worker_command(beat=True, concurrency=concurrency), start_new_session=True)
    stopping = threading.Event()

    def stop(signum=None, frame=None):
        stopping.set()
        server.close()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    web = threading.Thread(target=_serve, args=(server, stopping), daemon=True)
    web.start()
    print(_("Loa is running: http://%(host)s:%(port)s/  (data in %(dir)s; Ctrl-C stops it)") % {
        "host": args.host, "port": args.port, "dir": settings.LOA.data_dir}, flush=True)
    while not stopping.is_set():
        if worker.poll() is not None:
            print(_("loa: error: the worker stopped unexpectedly (exit code %(code)s).") % {"code": worker.returncode},
                  file=sys.stderr)
            server.close()
            return 1
        stopping.wait(0.5)
    return _stop_worker(worker)


def _serve(server, stopping: threading.Event) -> None:
    try:
        server.run()
    except (OSError, ValueError):
        pass  # closed by stop()
    finally:
        stopping.set()


def _stop_worker(worker: subprocess.Popen) -> int:
    # The worker runs in its own session, so Ctrl-C reaches it only through us: one warm shutdown.
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        return 1
    return 0
