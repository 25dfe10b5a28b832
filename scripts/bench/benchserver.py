"""Serving the backend or the storefront for a benchmark: gunicorn on a free port of
127.0.0.1, and stopping it.

Shared by the benchmarks in this folder (they run as scripts, so this folder is on sys.path).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

BACKEND = Path(__file__).resolve().parents[2] / "backend"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(
    project: Path,
    env: dict[str, str],
    *,
    ready: Callable[[str], object],
    workers: int = 1,
    threads: int = 1,
    name: str = "gunicorn",
) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn serving the Django project in `project` (its config.wsgi) on a free port with
    `env`; returns once `ready(url)` stops raising httpx errors (60 s at most)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
        "--chdir",
        str(project),
    ]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with status {process.returncode}")
        try:
            ready(url)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit(f"{name} did not answer within 60 s")


def start_gunicorn(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """The backend, answering GraphQL."""
    env = dict(os.environ, PYTHONPATH=str(BACKEND), ALLOWED_HOSTS="127.0.0.1,localhost")
    return serve(
        BACKEND,
        env,
        workers=workers,
        ready=lambda url: httpx.post(
            f"{url}/graphql/", json={"query": "{ __typename }"}, timeout=2
        ),
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
