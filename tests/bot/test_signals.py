"""A signalled process ends within a bound whatever holds its stopping up, and says where it waited."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

HANGS_ON_STOP = """
import asyncio, logging
import bot.signals as signals
signals.STOP_REPORT_S, signals.STOP_LIMIT_S = 1.0, 2.5
logging.basicConfig(level=logging.INFO)

async def close_the_books():
    await asyncio.Event().wait()  # a step of stopping that never ends (a stalled disk, a lost peer)

async def main():
    stop = signals.until_signalled(None)
    print("ready", flush=True)
    await stop.wait()
    await asyncio.create_task(close_the_books(), name="closing")

asyncio.run(main())
"""


async def test_a_stop_that_never_finishes_is_reported_and_ended(tmp_path: Path) -> None:
    script = tmp_path / "hangs.py"
    script.write_text(HANGS_ON_STOP, encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), cwd=Path(__file__).parents[2],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert await asyncio.wait_for(proc.stdout.readline(), 20) == b"ready\n"
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    took = time.monotonic() - started
    told = err.decode()
    assert proc.returncode != 0 and 2.0 < took < 10, (proc.returncode, took, told)
    # after the report time: the task and the line it waits on, through the chain of awaits
    assert "still held up after 1 s" in told and "closing (hangs.py:" in told, told
    # at the limit: every thread's stack, then the process is gone
    assert "Timeout (0:00:02" in told and "most recent call first" in told, told
