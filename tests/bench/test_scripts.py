"""Every benchmark under bench/ still starts: it imports what the project now is and answers
--help with its usage (a benchmark that no longer runs measures nothing)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from pathlib import Path

import pytest

SCRIPTS = sorted(p.stem for p in (Path(__file__).parents[2] / "bench").glob("*.py") if p.stem != "__init__")


def test_every_benchmark_is_listed() -> None:
    assert {"export", "web", "workers", "webhook", "ledger"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_benchmark_answers_help(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = importlib.import_module(f"bench.{name}")
    monkeypatch.setattr("sys.argv", [f"bench/{name}.py", "--help"])
    with pytest.raises(SystemExit) as done:
        found = module.main()
        if inspect.iscoroutine(found):
            asyncio.run(found)
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out
