"""Several processes of one program on one machine: sockets sharing a port, and worker processes
started together and stopped together (`dangjian web --workers N`, `dangjian run --workers N`)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def split_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:8080' -> ('127.0.0.1', 8080); ':8080' listens on every address."""
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"应为 主机:端口 / must be host:port: {listen}")
    return host or "0.0.0.0", int(port)


def bind(listen: str, *, shared: bool = False) -> socket.socket:
    """A listening socket. `shared`: one of several on the same port (SO_REUSEPORT), one per worker
    process, the kernel spreading new connections over them."""
    host, port = split_listen(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock


def start(count: int, target: Callable[..., None], *args: Any) -> list[Any]:
    """`count` fresh interpreters running target(*args) (a module-level function)."""
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=target, args=args, daemon=True) for _ in range(count)]
    for proc in procs:
        proc.start()
    return procs


def stop(procs: list[Any]) -> None:
    """SIGTERM to every worker still running, then wait for each (30 s at most)."""
    for proc in procs:
        if proc.pid is not None and proc.is_alive():
            os.kill(proc.pid, signal.SIGTERM)
    for proc in procs:
        proc.join(30)
