"""One setting picks the store: a database URL, turned into the library's environment.

- ``sqlite:///relative/file.sqlite``, ``sqlite:////absolute/file.sqlite``,
  ``sqlite:///:memory:`` (a private in-memory database)
- ``postgresql://user:password@host:port/dbname`` (``?schema=name`` optional)
- ``memory://`` (plain Python objects; nothing is kept)
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit
from uuid import uuid4

SQLITE_FACTORY = "ledger.persistence.sqlite:ChainedSQLiteFactory"
POSTGRES_FACTORY = "ledger.persistence.postgres:ChainedPostgresFactory"
POPO_FACTORY = "ledger.persistence.popo:ChainedPOPOFactory"


class DatabaseURLError(ValueError):
    pass


def sqlite_path(url: str) -> str | None:
    """The file an ``sqlite:///`` URL names (None for an in-memory database)."""
    path = url[len("sqlite:///") :]
    return None if path in ("", ":memory:") else path


def environment_for(url: str) -> dict[str, str]:
    if url == "memory://":
        return {"PERSISTENCE_MODULE": POPO_FACTORY}
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        if path is None:
            path = f"file:okr-ledger-{uuid4().hex}?mode=memory&cache=shared"
        return {"PERSISTENCE_MODULE": SQLITE_FACTORY, "SQLITE_DBNAME": path}
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise DatabaseURLError("a PostgreSQL URL names a host and a database")
        env = {
            "PERSISTENCE_MODULE": POSTGRES_FACTORY,
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
        schema = parse_qs(parts.query).get("schema")
        if schema:
            env["POSTGRES_SCHEMA"] = schema[0]
        return env
    raise DatabaseURLError(
        f"unsupported database URL {url!r}: use sqlite:///FILE, "
        "postgresql://USER:PASSWORD@HOST:PORT/DB or memory://"
    )
