"""`loa run` on the embedded defaults: migrates, serves the back-office, publishes through its own
worker and beat, and stops everything cleanly on Ctrl-C (SIGINT)."""

import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.processes import ROOT, embedded_env, loa, wait_until

pytestmark = [pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None


def processes_using(data_dir: Path) -> list[int]:
    """Pids of live processes whose environment points at this data dir."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"LOA_DATA_DIR={data_dir}".encode() in (proc / "environ").read_bytes():
                if (proc / "stat").read_text().split()[2] != "Z":
                    pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_loa_run_serves_publishes_and_stops_cleanly_on_ctrl_c(tmp_path):
    data = tmp_path / "data"
    env = embedded_env(data)
    port = free_port()
    log = open(tmp_path / "run.log", "wb")
    run = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "run", "--port", str(port)], env=env, cwd=ROOT,
                           stdout=log, stderr=subprocess.STDOUT)
    try:
        page = wait_until(lambda: fetch(f"http://127.0.0.1:{port}/admin/login/"), timeout=60, what="the login page")
        assert "Tên đăng nhập" in page
        loa("unit", "add", "ben-thanh", "--name", "Phường Bến Thành", env=env)
        loa("user", "add", "lan", "--role", "editor", "--unit", "ben-thanh", env=env, stdin="Mật-khẩu-đủ-dài-1\n")
        loa("user", "add", "minh", "--role", "approver", "--unit", "ben-thanh", env=env, stdin="Mật-khẩu-đủ-dài-2\n")
        loa("channel", "add", "--unit", "ben-thanh", "--kind", "outbox", "--name", "bang", "--set", "path=outbox", env=env)
        post_id = loa("post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "Khẩu hiệu", "--body", "Nội dung",
                      "--channel", "bang", "--by", "lan", "--submit", env=env).stdout.strip()
        loa("post", "approve", post_id, "--by", "minh", env=env)

        def state():
            with sqlite3.connect(data / "loa.sqlite3") as db:
                return db.execute("SELECT state FROM bot_delivery").fetchone()[0]

        wait_until(lambda: state() == "sent", timeout=60, what="the post to be published")
        assert len(list((data / "outbox").glob("*.json"))) == 1
    finally:
        run.send_signal(signal.SIGINT)
        code = run.wait(60)
        log.close()
    assert code == 0, (tmp_path / "run.log").read_text()[-2000:]
    assert processes_using(data) == []


def test_loa_web_serves_only_the_web_and_stops_on_sigterm(tmp_path):
    data = tmp_path / "data"
    env = embedded_env(data)
    loa("migrate", env=env)
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "web", "--port", str(port)], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = wait_until(lambda: fetch(f"http://127.0.0.1:{port}/login/"), timeout=60, what="the login page")
        assert "Đăng nhập" in page
        assert len(processes_using(data)) == 1, "no worker is started beside the web server"
    finally:
        web.send_signal(signal.SIGTERM)
        code = web.wait(30)
    assert code == 0
