"""`dangjian web --workers 2` as an operator runs it: two processes share the port, a one-time
link printed by `dangjian web link` opens a session that both honour, Ctrl+C stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.bot.telegram.test_e2e import free_port

ROSTER = Path(__file__).parents[3] / "bot" / "console" / "sample_roster.csv"


def dangjian(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_two_worker_processes_serve_one_console_and_stop_together(db_url: str) -> None:
    port = free_port()
    env = {**os.environ, "DANGJIAN_DATABASE_URL": db_url, "DANGJIAN_LOG_LEVEL": "WARNING"}
    env["DANGJIAN_WEB_BASE_URL"] = f"http://127.0.0.1:{port}"
    assert dangjian(env, "org", "import", str(ROSTER), "--region", "城东联合党委").returncode == 0
    link = dangjian(env, "web", "link", "--region", "城东联合党委", "--member", "李红").stdout.strip().split()[-1]
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "web", "--listen", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        opened = httpx.get(link, follow_redirects=False, timeout=10)
        assert opened.status_code == 303, opened.text
        cookies = opened.cookies
        # a fresh connection each time: the kernel spreads them over both processes, each of
        # which must know the session (it lives in the database, not in a process)
        for _ in range(12):
            page = httpx.get(f"{base}/", cookies=cookies, timeout=10)
            assert page.status_code == 200 and "概览" in page.text
        assert httpx.get(f"{base}/", timeout=10).status_code == 401  # no session: the login hint
        health = httpx.get(f"{base}/healthz", timeout=10).json()  # the console answers an operator's checks too
        assert health["database"] == "up" and health["outbox_lag_seconds"] == 0 and health["inbox"] == {}
        assert health["scheduler_lease"] == "nobody"  # no `dangjian run` here
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        assert "dangjian_database_up 1.0" in metrics and 'dangjian_inbox_depth{platform="telegram"} 0.0' in metrics
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=60)
    assert server.returncode == 0, out
    assert "2 个进程" in out and "Traceback" not in out
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        raise AssertionError("a worker is still serving after Ctrl+C")
    except httpx.TransportError:
        pass
