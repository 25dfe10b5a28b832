"""The served stack of the browser tests, as real subprocesses on free ports of 127.0.0.1.

A fresh PostgreSQL database `e2e_alliance_<pid>` on the server the other tests use (the
embedded one when DATABASE_URL is unset, DATABASE_URL's otherwise), migrated and loaded with
the demo county (photos and thumbnails included, into a private MEDIA_ROOT); the backend on
gunicorn with DEBUG=1 DEMO_MODE=1 and no Stripe keys (demo payment); the storefront on
gunicorn (as its Dockerfile serves it) with DEBUG=0, pointed at the backend. Every server
leads its own process group, logs to <artifacts>/e2e/_stack/<database name>/<server>.log
(one folder per session: sessions may run side by side) and is stopped, and the database
dropped, by Stack.stop().

Nothing here imports Django: the pytest process only talks to the stack over HTTP and, for
set-up and checks, to PostgreSQL with psycopg.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
BACKEND_DIR = ROOT / "backend"
STOREFRONT_DIR = ROOT / "storefront"
PYTHON = sys.executable
DEMO_PASSWORD = "alliance-demo"
DATABASE_PREFIX = "e2e_alliance_"
START_TIMEOUT_SECONDS = 60.0
STEP_TIMEOUT_SECONDS = 300.0
STOP_TIMEOUT_SECONDS = 10.0
# Environment passed on from the pytest process; everything else is set explicitly, so a
# developer's shell (Stripe keys, DJANGO_SETTINGS_MODULE, DEBUG...) cannot change the stack.
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "XDG_RUNTIME_DIR")

TOKEN_CREATE = """
mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { token errors { field code message } }
}"""


class StackError(RuntimeError):
    """The stack could not be set up; the message says which part and shows its log."""


class GraphQLErrors(AssertionError):
    """The backend answered with top-level GraphQL errors."""

    def __init__(self, errors: list[dict[str, Any]], query: str):
        self.errors = errors
        messages = "\n".join(f"  - {e.get('message')} (path {e.get('path')})" for e in errors)
        super().__init__(f"GraphQL errors:\n{messages}\nquery:{query}")


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def with_database(url: str, name: str) -> str:
    """The same server URL with another database name (keeps ?host=... of socket URLs)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def base_env(settings: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    """PASSED_ON from this process, then `settings`, then the caller's `extra` (wins)."""
    env = {key: os.environ[key] for key in PASSED_ON if key in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(settings)
    env.update(extra)
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if pytest dies without cleaning up."""
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ServedProcess:
    """One server: its URL, its log, and stop()."""

    def __init__(
        self,
        name: str,
        process: subprocess.Popen[bytes],
        port: int,
        log_path: Path,
        probe: Callable[[str], bool],
    ):
        self.name = name
        self.probe = probe
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path

    def __repr__(self) -> str:
        return f"<ServedProcess {self.name} {self.url} pid={self.process.pid}>"

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL after STOP_TIMEOUT_SECONDS."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def spawn(
    name: str,
    command: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path,
    port: int,
    log_dir: Path,
    probe: Callable[[str], bool] | None = None,
) -> ServedProcess:
    """Start a server in its own process group (wait_until_serving waits for it)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            list(command),
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # own process group, SIGTERM when pytest dies
        )
    return ServedProcess(name, process, port, log_path, probe or answers_http)


def answers_http(url: str) -> bool:
    """Any HTTP answer to GET / (a 500 page is the page tests' business, not start-up's)."""
    httpx.get(url + "/", timeout=10)
    return True


def answers_graphql(url: str) -> bool:
    response = httpx.post(url + "/graphql/", json={"query": "{ __typename }"}, timeout=10)
    return response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


def wait_until_serving(*servers: ServedProcess, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Wait until every server answers its probe; if one dies or the time is up, stop them
    all and raise StackError with the log tails."""
    deadline = time.monotonic() + timeout
    waiting = list(servers)
    last_probe_error: dict[str, str] = {}
    while waiting:
        for served in list(waiting):
            status = served.process.poll()
            if status is not None:
                for other in servers:
                    other.stop()
                raise StackError(
                    f"the {served.name} exited with status {status} during start-up "
                    f"({' '.join(served.process.args)});\nlast lines of {served.log_path}:\n"
                    f"{served.log_tail()}"
                )
            if not port_open(served.port):
                continue
            try:
                if served.probe(served.url):
                    waiting.remove(served)
                else:
                    last_probe_error[served.name] = "probe answered False"
            except (httpx.HTTPError, ValueError) as exc:
                last_probe_error[served.name] = repr(exc)
        if waiting and time.monotonic() > deadline:
            for other in servers:
                other.stop()
            tails = "\n".join(
                f"--- {s.name} ({last_probe_error.get(s.name, 'port closed')}), "
                f"{s.log_path}:\n{s.log_tail()}"
                for s in waiting
            )
            raise StackError(f"not serving after {timeout:.0f} s:\n{tails}")
        if waiting:
            time.sleep(0.05)


def run_step(
    name: str, command: Sequence[str], *, env: dict[str, str], cwd: Path, log_path: Path
) -> None:
    """Run a set-up command to completion, appending its output to log_path."""
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(command)}\n".encode())
        log.flush()
        try:
            status = subprocess.run(
                list(command),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=STEP_TIMEOUT_SECONDS,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            status = "timeout"
    if status != 0:
        raise StackError(
            f"{name} failed (status {status}); last lines of {log_path}:\n{log_tail(log_path)}"
        )


def server_url() -> tuple[str, bool]:
    """(URL of a database on the tests' PostgreSQL server, whether it is the embedded one)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url, False
    if str(BACKEND_DIR) not in sys.path:
        sys.path.insert(0, str(BACKEND_DIR))
    from config.embedded_db import embedded_database_url

    return embedded_database_url(), True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Stack:
    """The database, the backend and the storefront of one test session."""

    def __init__(
        self,
        artifacts_dir: Path,
        *,
        name_suffix: str = "",
        demo_options: Sequence[str] = (),
        backend_extra_env: dict[str, str] | None = None,
        storefront_extra_env: dict[str, str] | None = None,
    ):
        """`name_suffix` (e.g. "stripe") lets a second stack run beside the session's;
        `demo_options` go to load_demo (e.g. "--no-history", "--no-photos"); the extra
        environments are applied after the defaults (e.g. Stripe keys and DEMO_MODE=0)."""
        self.database_name = f"{DATABASE_PREFIX}{os.getpid()}" + (
            f"_{name_suffix}" if name_suffix else ""
        )
        self.demo_options = tuple(demo_options)
        self.backend_extra_env = dict(backend_extra_env or {})
        self.storefront_extra_env = dict(storefront_extra_env or {})
        self.artifacts_dir = artifacts_dir
        self.secret_key = "e2e-only-secret-key-" + os.urandom(24).hex()
        self.timings: dict[str, float] = {}
        self._admin_url = ""
        self._database_created = False
        self._tmp: Path | None = None
        self._servers: list[ServedProcess] = []
        self._http = httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0))
        self.database_url = ""
        self.backend: ServedProcess | None = None
        self.storefront: ServedProcess | None = None

    # --- the public surface ------------------------------------------------------------------

    @property
    def log_dir(self) -> Path:
        """This session's server logs, setup.log and timings.json."""
        return self.artifacts_dir / "_stack" / self.database_name

    @property
    def backend_url(self) -> str:
        assert self.backend is not None, "the stack is not started"
        return self.backend.url

    @property
    def storefront_url(self) -> str:
        assert self.storefront is not None, "the stack is not started"
        return self.storefront.url

    @property
    def media_root(self) -> Path:
        """The backend's MEDIA_ROOT: a private folder, deleted by stop()."""
        assert self._tmp is not None, "the stack is not started"
        return self._tmp / "media"

    @property
    def storefront_session_dir(self) -> Path:
        assert self._tmp is not None, "the stack is not started"
        return self._tmp / "storefront-sessions"

    def graphql_response(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        """POST one operation to the backend's /graphql/ and return the raw response."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self._http.post(
            f"{self.backend_url}/graphql/",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The `data` of one operation; raises GraphQLErrors on top-level errors."""
        response = self.graphql_response(query, variables, token)
        try:
            payload = response.json()
        except ValueError:
            raise AssertionError(
                f"backend answered HTTP {response.status_code} without JSON: {response.text[:500]}"
            ) from None
        if payload.get("errors"):
            raise GraphQLErrors(payload["errors"], query)
        assert response.status_code == 200, (response.status_code, payload)
        return payload["data"]

    def token_for(self, email: str, password: str = DEMO_PASSWORD) -> str:
        """An access token from tokenCreate (demo logins share the password alliance-demo)."""
        result = self.graphql(TOKEN_CREATE, {"email": email, "password": password})["tokenCreate"]
        if result["errors"] or not result["token"]:
            raise AssertionError(f"tokenCreate for {email} failed: {result['errors']}")
        return result["token"]

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[Any]:
        """Rows of one statement on the stack's database (psycopg, autocommit)."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `backend/manage.py <args>` against the stack's database; raises if it fails."""
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            env=self.backend_env(),
            cwd=BACKEND_DIR,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
        return result

    @contextlib.contextmanager
    def start_storefront(
        self, backend_url: str | None = None, **env: str
    ) -> Iterator[ServedProcess]:
        """Another storefront, e.g. against a dead port; stopped when the block ends."""
        port = free_port()
        name = f"storefront-{port}"
        served = spawn(
            name,
            self.storefront_command(port),
            env=self.storefront_env(backend_url or self.backend_url, **env),
            cwd=STOREFRONT_DIR,
            port=port,
            log_dir=self.log_dir,
        )
        try:
            wait_until_serving(served)
            yield served
        finally:
            served.stop()

    # --- environments and commands -----------------------------------------------------------

    def backend_env(self, **extra: str) -> dict[str, str]:
        settings = {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "PYTHONPATH": str(BACKEND_DIR),
            "DATABASE_URL": self.database_url,
            "DEBUG": "1",
            "DEMO_MODE": "1",  # demo payment needs DEBUG and DEMO_MODE, and no Stripe keys
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MEDIA_ROOT": str(self.media_root),
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "0",
            # every browser test signs in from 127.0.0.1: the per-IP limit would be hit
            "TOKEN_CREATE_MAX_ATTEMPTS_PER_EMAIL": "1000",
            "TOKEN_CREATE_MAX_ATTEMPTS_PER_IP": "10000",
            # no Celery worker here: tasks run in-process even when REDIS_URL is set
            "CELERY_TASK_ALWAYS_EAGER": "1",
        }
        return base_env(settings, {**self.backend_extra_env, **extra})

    def storefront_env(self, backend_url: str, **extra: str) -> dict[str, str]:
        settings = {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "BACKEND_URL": backend_url,
            "LOG_LEVEL": "WARNING",
            "STOREFRONT_SESSION_DIR": str(self.storefront_session_dir),
        }
        return base_env(settings, {**self.storefront_extra_env, **extra})

    @staticmethod
    def gunicorn_command(port: int, directory: Path) -> list[str]:
        return [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "8",
            "--chdir",
            str(directory),
            "--access-logfile",
            "-",
            "--preload",  # settings errors stop the master before it listens
            "--timeout",
            "60",
            "--graceful-timeout",
            "3",
        ]

    def storefront_command(self, port: int) -> list[str]:
        return self.gunicorn_command(port, STOREFRONT_DIR)

    # --- start and stop ----------------------------------------------------------------------

    def start(self) -> Stack:
        began = time.monotonic()
        self._remove_old_logs()
        self.log_dir.mkdir(parents=True)
        self._tmp = Path(tempfile.mkdtemp(prefix="alliance-e2e-"))
        self.media_root.mkdir()
        self.storefront_session_dir.mkdir()
        storefront_port, backend_port = free_port(), free_port()
        # the storefront needs no database: it starts while the demo county loads
        self.storefront = spawn(
            "storefront",
            self.storefront_command(storefront_port),
            env=self.storefront_env(f"http://127.0.0.1:{backend_port}"),
            cwd=STOREFRONT_DIR,
            port=storefront_port,
            log_dir=self.log_dir,
        )
        self._servers.append(self.storefront)

        self._create_database()
        self.timings["database_created"] = time.monotonic() - began
        setup_log = self.log_dir / "setup.log"
        setup_log.write_bytes(b"")
        env = self.backend_env()
        run_step(
            "migrate",
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            env=env,
            cwd=BACKEND_DIR,
            log_path=setup_log,
        )
        self.timings["migrated"] = time.monotonic() - began
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run_step(
            "load_demo",
            [PYTHON, "manage.py", "load_demo", "--no-progress", *self.demo_options],
            env=env,
            cwd=BACKEND_DIR,
            log_path=setup_log,
        )
        self.timings["demo_loaded"] = time.monotonic() - began
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.timings["load_demo_cpu_seconds"] = (cpu_after.ru_utime - cpu_before.ru_utime) + (
            cpu_after.ru_stime - cpu_before.ru_stime
        )

        self.backend = spawn(
            "backend",
            self.gunicorn_command(backend_port, BACKEND_DIR),
            env=env,
            cwd=BACKEND_DIR,
            port=backend_port,
            log_dir=self.log_dir,
            probe=answers_graphql,
        )
        self._servers.append(self.backend)
        wait_until_serving(self.backend)
        # probed once the backend answers: its first page then shows real data
        wait_until_serving(self.storefront)
        self.timings["serving"] = time.monotonic() - began
        (self.log_dir / "timings.json").write_text(json.dumps(self.timings, indent=2))
        return self

    def stop(self) -> None:
        errors: list[str] = []
        for served in reversed(self._servers):
            began = time.monotonic()
            try:
                served.stop()
            except Exception as exc:  # keep stopping the rest
                errors.append(f"{served.name}: {exc!r}")
            self.timings[f"stop_{served.name}"] = time.monotonic() - began
        self._servers.clear()
        self._http.close()
        if self._database_created:
            began = time.monotonic()
            try:
                self._drop_database(self.database_name)
            except psycopg.Error as exc:
                errors.append(f"dropping {self.database_name}: {exc}")
            self._database_created = False
            self.timings["drop_database"] = time.monotonic() - began
        if self.log_dir.is_dir():
            (self.log_dir / "timings.json").write_text(json.dumps(self.timings, indent=2))
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        if errors:
            raise StackError("stopping the e2e stack: " + "; ".join(errors))

    def _remove_old_logs(self) -> None:
        """This session's folder, and those of sessions whose process is gone."""
        shutil.rmtree(self.log_dir, ignore_errors=True)
        parent = self.log_dir.parent
        for folder in parent.glob(DATABASE_PREFIX + "*") if parent.is_dir() else []:
            owner = re.match(r"\d+", folder.name.removeprefix(DATABASE_PREFIX))
            if owner and int(owner.group()) != os.getpid() and not _pid_alive(int(owner.group())):
                shutil.rmtree(folder, ignore_errors=True)

    def _create_database(self) -> None:
        self._admin_url, embedded = server_url()
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            if embedded:
                # databases of sessions that died without dropping theirs: e2e_alliance_<pid>
                # and e2e_alliance_<pid>_<anything> (subclasses may add a suffix)
                for (name,) in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s",
                    [DATABASE_PREFIX + "%"],
                ).fetchall():
                    owner = re.match(r"\d+", name.removeprefix(DATABASE_PREFIX))
                    pid = int(owner.group()) if owner else os.getpid()
                    if pid != os.getpid() and not _pid_alive(pid):
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            try:
                conn.execute(
                    f"CREATE DATABASE \"{self.database_name}\" ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
                )
            except psycopg.errors.InvalidParameterValue:  # a server without the C.UTF-8 locale
                conn.execute(
                    f"CREATE DATABASE \"{self.database_name}\" ENCODING 'UTF8' TEMPLATE template0"
                )
        self._database_created = True
        self.database_url = with_database(self._admin_url, self.database_name)

    def _drop_database(self, name: str) -> None:
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
