"""The deliveries' tables, next to the read models (the same SQLite file or PostgreSQL
schema), written in the dispatcher's transactions together with its log position:

- ``wh_secrets``: each subscription's signing secret, written when it is made and
  read only to sign (never in an event, a read model, a history or the topic);
- ``wh_subscriptions`` and ``wh_facts``: what the dispatcher has read from the log;
- ``wh_queue``: one row per notification per subscription, ``pending`` until it is
  ``delivered``, ``dead`` once its retries are spent (a dead letter), or ``dropped``
  when its subscription ends."""

from __future__ import annotations

from typing import Any

import orjson

from deliveries.notices import Fact
from eventlog.store import Cursor, ReadStore

PENDING, DELIVERED, DEAD, DROPPED = "pending", "delivered", "dead", "dropped"
TABLES = (
    "CREATE TABLE IF NOT EXISTS wh_secrets (subscription_id TEXT PRIMARY KEY, "
    "secret TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS wh_subscriptions (id TEXT PRIMARY KEY, url TEXT NOT NULL, "
    "kinds TEXT NOT NULL, team_id TEXT, preset TEXT NOT NULL, active INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS wh_facts (aggregate_id TEXT PRIMARY KEY, team_id TEXT, "
    "cycle_id TEXT, label TEXT NOT NULL, confidence TEXT)",
    "CREATE TABLE IF NOT EXISTS wh_queue (message_id TEXT PRIMARY KEY, "
    "subscription_id TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL, "
    "position BIGINT NOT NULL, summary TEXT NOT NULL, notice TEXT NOT NULL, "
    "state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, "
    "created_at BIGINT NOT NULL, last_attempt_at BIGINT, delivered_at BIGINT, "
    "last_status INTEGER, last_error TEXT)",
    "CREATE INDEX IF NOT EXISTS wh_queue_heads ON wh_queue (subscription_id, state, seq)",
)
TRACKING = "deliveries@log"


class DeliveryStore:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        with store.transaction() as cursor:
            for statement in TABLES:
                cursor.execute(statement)

    def transaction(self, *, commit: bool = True) -> Any:
        return self.store.transaction(commit=commit)

    def position(self) -> int:
        return self.store.position(TRACKING)

    # -- secrets -------------------------------------------------------------------------

    def keep_secret(self, subscription_id: str, secret: str) -> None:
        with self.transaction() as cursor:
            cursor.execute(
                "INSERT INTO wh_secrets (subscription_id, secret) VALUES (%s, %s)",
                (subscription_id, secret),
            )

    def forget_secret(self, subscription_id: str) -> None:
        """Drop the secret of a subscription whose event was refused (never saved)."""
        with self.transaction() as cursor:
            cursor.execute("DELETE FROM wh_secrets WHERE subscription_id = %s", (subscription_id,))

    def secret(self, cursor: Cursor, subscription_id: str) -> str | None:
        row = cursor.execute(
            "SELECT secret FROM wh_secrets WHERE subscription_id = %s", (subscription_id,)
        ).fetchone()
        return None if row is None else str(row["secret"])

    def subscription_ids(self) -> list[str]:
        with self.transaction(commit=False) as cursor:
            rows = cursor.execute("SELECT subscription_id FROM wh_secrets").fetchall()
        return sorted(row["subscription_id"] for row in rows)

    # -- what the dispatcher read --------------------------------------------------------

    def load_facts(self, cursor: Cursor) -> dict[str, Fact]:
        rows = cursor.execute("SELECT * FROM wh_facts").fetchall()
        return {
            r["aggregate_id"]: Fact(r["team_id"], r["cycle_id"], r["label"], r["confidence"])
            for r in rows
        }

    def save_facts(self, cursor: Cursor, facts: dict[str, Fact]) -> None:
        cursor.executemany(
            "INSERT INTO wh_facts (aggregate_id, team_id, cycle_id, label, confidence) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (aggregate_id) DO UPDATE SET "
            "team_id = excluded.team_id, confidence = excluded.confidence",
            [(i, f.team_id, f.cycle_id, f.label, f.confidence) for i, f in facts.items()],
        )

    def subscriptions(self, cursor: Cursor, *, active_only: bool = True) -> list[dict[str, Any]]:
        where = " WHERE active = 1" if active_only else ""
        rows = cursor.execute(f"SELECT * FROM wh_subscriptions{where} ORDER BY id").fetchall()
        for row in rows:
            row["kinds"] = orjson.loads(row["kinds"])
        return rows

    def subscribed(self, cursor: Cursor, ident: str, data: dict[str, Any]) -> None:
        cursor.execute(
            "INSERT INTO wh_subscriptions (id, url, kinds, team_id, preset, active) "
            "VALUES (%s, %s, %s, %s, %s, 1) ON CONFLICT (id) DO NOTHING",
            (ident, data["url"], orjson.dumps(data["kinds"]).decode(), data.get("team_id"),
             data["preset"]),
        )  # fmt: skip

    def unsubscribed(self, cursor: Cursor, ident: str) -> None:
        cursor.execute("UPDATE wh_subscriptions SET active = 0 WHERE id = %s", (ident,))
        cursor.execute(
            "UPDATE wh_queue SET state = %s WHERE subscription_id = %s AND state = %s",
            (DROPPED, ident, PENDING),
        )

    # -- the queue -----------------------------------------------------------------------

    def next_seq(self, cursor: Cursor) -> int:
        row = cursor.execute("SELECT MAX(seq) AS seq FROM wh_queue").fetchone()
        return int(row["seq"] or 0) + 1 if row else 1

    def enqueue(self, cursor: Cursor, rows: list[tuple[Any, ...]]) -> None:
        """(message id, subscription id, seq, kind, position, summary, notice json,
        created at) rows; a message id already queued is left as it is."""
        cursor.executemany(
            "INSERT INTO wh_queue (message_id, subscription_id, seq, kind, position, "
            "summary, notice, state, attempts, next_attempt_at, created_at) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, 'pending', 0, %s, %s) "
            "ON CONFLICT (message_id) DO NOTHING",
            [(*row, row[-1]) for row in rows],
        )

    def due_run(
        self, cursor: Cursor, subscription_id: str, now: int, limit: int
    ) -> list[dict[str, Any]]:
        """The first pending messages of a subscription, in order, as far as their
        time has come (none if the first one's has not)."""
        rows = cursor.execute(
            "SELECT * FROM wh_queue WHERE subscription_id = %s AND state = 'pending' "
            f"ORDER BY seq LIMIT {int(limit)}",
            (subscription_id,),
        ).fetchall()
        run = []
        for row in rows:
            if int(row["next_attempt_at"]) > now:
                break
            run.append(row)
        return run

    def pending_count(self, cursor: Cursor) -> int:
        row = cursor.execute("SELECT COUNT(*) AS n FROM wh_queue WHERE state = 'pending'")
        found = row.fetchone()
        return int(found["n"]) if found else 0

    def record_attempt(
        self,
        cursor: Cursor,
        message_id: str,
        *,
        state: str,
        attempts: int,
        at: int,
        next_attempt_at: int,
        status: int | None,
        error: str | None,
    ) -> None:
        cursor.execute(
            "UPDATE wh_queue SET state = %s, attempts = %s, last_attempt_at = %s, "
            "next_attempt_at = %s, last_status = %s, last_error = %s, delivered_at = %s "
            "WHERE message_id = %s AND state = 'pending'",
            (state, attempts, at, next_attempt_at, status, (error or "")[:500] or None,
             at if state == DELIVERED else None, message_id),
        )  # fmt: skip

    def messages(
        self, cursor: Cursor, subscription_id: str, state: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        sql = "SELECT * FROM wh_queue WHERE subscription_id = %s"
        params: list[Any] = [subscription_id]
        if state:
            sql += " AND state = %s"
            params.append(state)
        return cursor.execute(f"{sql} ORDER BY seq DESC LIMIT {int(limit)}", params).fetchall()

    def counts(self, cursor: Cursor, subscription_id: str) -> dict[str, int]:
        rows = cursor.execute(
            "SELECT state, COUNT(*) AS n FROM wh_queue WHERE subscription_id = %s GROUP BY state",
            (subscription_id,),
        ).fetchall()
        found = {PENDING: 0, DELIVERED: 0, DEAD: 0, DROPPED: 0}
        found.update({r["state"]: int(r["n"]) for r in rows})
        return found

    def replay_dead(self, subscription_id: str, now: int) -> int:
        """Put a subscription's dead letters back in its queue, with a fresh budget."""
        with self.transaction() as cursor:
            cursor.execute(
                "UPDATE wh_queue SET state = 'pending', attempts = 0, next_attempt_at = %s "
                "WHERE subscription_id = %s AND state = 'dead'",
                (now, subscription_id),
            )
            return cursor.rowcount
