"""The state view: every aggregate's document now and at each of its versions, every
check-in and every KPI measurement, so the whole OKR set can be read as it is, as the
ledger knew it at any instant (recorded time), or as it was true then (effective time,
later corrections applied)."""

from __future__ import annotations

import re
from typing import Any

import orjson

from eventlog.record import Record
from eventlog.store import Cursor, text_array
from projections.reducers import KINDS, MEASUREMENTS, Doc, reduce
from projections.view import View, dumps

NODE_COLUMNS = ("id", "kind", "cycle_id", "team_id", "version", "position", "doc")
VERSION_COLUMNS = (
    "id", "version", "kind", "cycle_id", "team_id", "position", "recorded_at",
    "effective_at", "doc",
)  # fmt: skip
CHECK_IN_COLUMNS = (
    "check_in_id", "kr_id", "cycle_id", "position", "value", "confidence", "note",
    "blockers", "effective_at", "recorded_at", "actor", "supersedes",
)  # row[9] is recorded_at, row[11] supersedes  # fmt: skip
MEASUREMENT_COLUMNS = ("position", "kpi_id", "value", "effective_at", "recorded_at", "actor")
RECORDED, EFFECTIVE = "recorded", "effective"


class StateView(View):
    name = "state"
    tables = {
        "nodes": (
            "id TEXT NOT NULL, kind TEXT NOT NULL, cycle_id TEXT, team_id TEXT, "
            "version INTEGER NOT NULL, position BIGINT NOT NULL, doc TEXT NOT NULL",
            "id",
        ),
        "versions": (
            "id TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL, cycle_id TEXT, "
            "team_id TEXT, "
            "position BIGINT NOT NULL, recorded_at BIGINT NOT NULL, "
            "effective_at BIGINT NOT NULL, doc TEXT NOT NULL",
            "id, version",
        ),
        "check_ins": (
            "check_in_id TEXT NOT NULL, kr_id TEXT NOT NULL, cycle_id TEXT, "
            "position BIGINT NOT NULL, value TEXT NOT NULL, confidence TEXT NOT NULL, "
            "note TEXT NOT NULL, blockers TEXT NOT NULL, effective_at BIGINT NOT NULL, "
            "recorded_at BIGINT NOT NULL, actor TEXT NOT NULL, supersedes TEXT, "
            "superseded_at BIGINT",
            "check_in_id",
        ),
        "measurements": (
            "position BIGINT NOT NULL, kpi_id TEXT NOT NULL, value TEXT NOT NULL, "
            "effective_at BIGINT NOT NULL, recorded_at BIGINT NOT NULL, actor TEXT NOT NULL",
            "position",
        ),
    }
    indexes = [
        ("nodes", "cycle_id, kind"),
        ("nodes", "kind"),
        ("versions", "cycle_id, recorded_at"),
        ("versions", "cycle_id, effective_at"),
        ("versions", "team_id, cycle_id"),
        ("check_ins", "cycle_id, kr_id"),
        ("check_ins", "kr_id, effective_at DESC, recorded_at DESC, position DESC"),
        ("measurements", "kpi_id, effective_at"),
    ]

    def __init__(self, generation: int = 1) -> None:
        super().__init__(generation)
        self.docs: dict[str, Doc] = {}
        self.failed = False
        self.heads: dict[str, tuple[int, int]] | None = None
        """in a bulk load, the (version, position) each node reached, written at the end"""
        self.superseded: list[tuple[int, str]] | None = None
        """in a bulk load, the check-ins corrections supersede (when, which), marked at
        the end, once the load's check-ins are all in their table"""

    def forget(self) -> None:
        self.docs.clear()
        if self.heads is not None:
            self.heads, self.superseded = None, None
            self.failed = True

    def begin_bulk(self) -> None:
        self.heads, self.superseded, self.failed = {}, [], False

    def end_bulk(self, cursor: Cursor) -> None:
        """Each aggregate's document once, as the load left it, instead of once a batch."""
        if self.heads is None or self.failed:
            raise RuntimeError("the bulk load of the state view failed")
        heads, self.heads = self.heads, None
        superseded, self.superseded = self.superseded or [], None
        self._mark_superseded(cursor, superseded)
        self.insert(
            cursor,
            "nodes",
            NODE_COLUMNS,
            (
                (ident, doc["type"], self._cycle_of(doc), self._team_of(doc), *heads[ident],
                 dumps(doc))
                for ident, doc in self.docs.items()
                if ident in heads
            ),
        )  # fmt: skip

    # -- writing -------------------------------------------------------------------------

    def _load_docs(self, cursor: Cursor, idents: set[str]) -> None:
        for row in cursor.select_in(
            f"SELECT id, doc FROM {self.t('nodes')} WHERE id IN", sorted(idents)
        ):
            self.docs[row["id"]] = orjson.loads(row["doc"])

    def apply(self, cursor: Cursor, records: list[Record]) -> None:
        kept = [r for r in records if r.aggregate_type in KINDS]
        created = {r.aggregate_id for r in kept if r.version == 1}
        unknown = {r.aggregate_id for r in kept if r.version > 1} - created - self.docs.keys()
        if unknown:
            self._load_docs(cursor, unknown)
        touched: dict[str, tuple[Doc, Record, str | None, str]] = {}  # doc, event, team, text
        versions, check_ins, measurements = [], [], []
        for r in kept:
            doc = self.docs.get(r.aggregate_id)
            if r.event_type in MEASUREMENTS:
                if r.aggregate_type == "Kpi":
                    measurements.append(
                        (
                            r.position,
                            r.aggregate_id,
                            r.data["value"],
                            r.effective_at,
                            r.recorded_at,
                            r.actor,
                        )
                    )
                else:
                    check_ins.append(self._check_in_row(r, doc))
                continue
            doc = reduce(doc, r)
            if doc is None:
                continue
            self.docs[r.aggregate_id] = doc
            team, text = self._team_of(doc), dumps(doc)
            touched[r.aggregate_id] = (doc, r, team, text)
            versions.append(
                (
                    r.aggregate_id,
                    r.version,
                    doc["type"],
                    self._cycle_of(doc),  # a cycle's own versions belong to it alone
                    team,
                    r.position,
                    r.recorded_at,
                    r.effective_at,
                    text,
                )
            )
        self.insert(cursor, "versions", VERSION_COLUMNS, versions)
        self.insert(cursor, "check_ins", CHECK_IN_COLUMNS, check_ins)
        superseded = [(row[9], row[11]) for row in check_ins if row[11]]
        if self.superseded is not None:
            self.superseded.extend(superseded)
        else:
            self._mark_superseded(cursor, superseded)
        self.insert(cursor, "measurements", MEASUREMENT_COLUMNS, measurements)
        if self.heads is not None:
            for ident, (_, r, _, _) in touched.items():
                self.heads[ident] = (r.version, r.position)
            return
        cursor.executemany(
            f"INSERT INTO {self.t('nodes')} ({', '.join(NODE_COLUMNS)}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
            "version = excluded.version, position = excluded.position, doc = excluded.doc",
            [
                (ident, doc["type"], self._cycle_of(doc), team, r.version, r.position, text)
                for ident, (doc, r, team, text) in touched.items()
            ],
        )

    def _mark_superseded(self, cursor: Cursor, superseded: list[tuple[int, str]]) -> None:
        """A correction marks the check-in it supersedes (by id), and when (recorded)."""
        if not superseded:
            return
        if cursor.dialect != "postgres":
            cursor.executemany(
                f"UPDATE {self.t('check_ins')} SET superseded_at = %s WHERE check_in_id = %s",
                superseded,
            )
            return
        latest = {ident: at for at, ident in superseded}  # the last correction wins
        cursor.execute(  # one join, keyed or not (a bulk load's table has no key yet)
            f"UPDATE {self.t('check_ins')} c SET superseded_at = u.at "
            "FROM unnest(CAST(%s AS text[]), CAST(%s AS bigint[])) AS u(id, at) "
            "WHERE c.check_in_id = u.id",
            [text_array(latest), text_array(latest.values())],
        )

    @staticmethod
    def _cycle_of(doc: Doc) -> str | None:
        return doc["id"] if doc["type"] == "cycle" else doc.get("cycle_id")

    @staticmethod
    def _team_of(doc: Doc) -> str | None:
        if doc["type"] == "team":
            return str(doc["id"])
        return doc.get("team_id") or doc.get("from_team_id")

    @staticmethod
    def _check_in_row(r: Record, kr: Doc | None) -> tuple[Any, ...]:
        d = r.data
        return (d["check_in_id"], r.aggregate_id, kr.get("cycle_id") if kr else None,
                r.position, d["value"], d["confidence"], d.get("note", ""),
                dumps(d.get("blockers", [])), r.effective_at, r.recorded_at, r.actor,
                d.get("supersedes"))  # fmt: skip

    # -- reading -------------------------------------------------------------------------

    def docs_of_cycle(
        self,
        cursor: Cursor,
        cycle_id: str,
        *,
        as_of: int | None = None,
        mode: str = RECORDED,
        team: str | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> list[Doc]:
        """The documents of a cycle's aggregates and of the global ones (teams,
        strategies, KPIs), now or as of an instant; of one team's only, if given
        (with the cycle's and the strategies'); of those ``kinds`` only, if given."""
        scope, params = "(cycle_id = %s OR cycle_id IS NULL)", [cycle_id]
        if team is not None:
            scope += " AND (team_id = %s OR team_id IS NULL)"
            params.append(team)
        if kinds is not None:
            scope += f" AND kind IN ({', '.join(['%s'] * len(kinds))})"
            params.extend(kinds)
        if as_of is None:
            rows = cursor.execute(
                f"SELECT doc FROM {self.t('nodes')} WHERE {scope}", params
            ).fetchall()
        else:
            column = "effective_at" if mode == EFFECTIVE else "recorded_at"
            if cursor.dialect == "postgres":  # one pass over the versions in force
                sql = (
                    f"SELECT DISTINCT ON (id) doc FROM {self.t('versions')} "
                    f"WHERE {scope} AND {column} <= %s ORDER BY id, version DESC"
                )
            else:
                sql = (
                    f"SELECT v.doc FROM {self.t('versions')} v JOIN ("
                    f"SELECT id, MAX(version) AS version FROM {self.t('versions')} "
                    f"WHERE {scope} AND {column} <= %s GROUP BY id"
                    ") m ON v.id = m.id AND v.version = m.version"
                )
            rows = cursor.execute(sql, [*params, as_of]).fetchall()
        return [orjson.loads(row["doc"]) for row in rows]

    def docs_now(self, cursor: Cursor, cycle_id: str, idents: set[str]) -> list[Doc]:
        """The documents now of ``idents`` that are the cycle's or global."""
        rows = cursor.select_in(
            f"SELECT doc, cycle_id FROM {self.t('nodes')} WHERE id IN", sorted(idents)
        )
        return [orjson.loads(r["doc"]) for r in rows if r["cycle_id"] in (None, cycle_id)]

    def docs_at(
        self, cursor: Cursor, cycle_id: str, idents: set[str] | list[str], as_of: int
    ) -> dict[str, Doc]:
        """The documents of ``idents`` (those of the cycle or global) as the ledger knew
        them at ``as_of`` (recorded time), by id: what ``docs_of_cycle`` gives for these
        aggregates, read by their primary key instead of over the whole cycle."""
        t = self.t("versions")
        if not idents:
            return {}
        if cursor.dialect == "postgres":  # each one's latest version then, by its key
            rows = self._query(
                cursor,
                f"SELECT v.doc FROM unnest(CAST(:ids AS text[])) AS k(id) CROSS JOIN LATERAL "
                f"(SELECT doc FROM {t} v WHERE v.id = k.id AND (v.cycle_id = :cycle OR "
                "v.cycle_id IS NULL) AND v.recorded_at <= :t ORDER BY v.version DESC LIMIT 1) v",
                {"ids": text_array(sorted(idents)), "cycle": cycle_id, "t": as_of},
            )
        else:
            rows = list(
                cursor.select_in(
                    f"SELECT v.doc FROM {t} v JOIN (SELECT id, MAX(version) AS version FROM {t} "
                    "WHERE (cycle_id = %s OR cycle_id IS NULL) AND recorded_at <= %s AND id IN",
                    sorted(idents),
                    params=[cycle_id, as_of],
                    tail=" GROUP BY id) m ON v.id = m.id AND v.version = m.version",
                )
            )
        found: dict[str, Doc] = {}
        for row in rows:
            doc = orjson.loads(row["doc"])
            found[doc["id"]] = doc
        return found

    def check_ins(
        self,
        cursor: Cursor,
        cycle_id: str,
        *,
        as_of: int | None = None,
        mode: str = RECORDED,
        history_for: set[str] | None = None,
        latest_for: list[str] | None = None,
        only: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The cycle's current check-ins (not superseded), as known at ``as_of``
        (recorded mode) or true at ``as_of`` with every correction known now applied
        (effective mode). Given ``history_for``, only the latest check-in of each key
        result comes back, except for those key results, which get all theirs; on
        PostgreSQL, ``latest_for`` (the cycle's key results) lets it look each latest
        one up by index instead of ranking the whole cycle. Given ``only`` (some of the
        cycle's key results, one team's say) and every check-in wanted, only theirs are
        read, by their index."""
        t = self.t("check_ins")
        if as_of is None:
            current = "c.superseded_at IS NULL"
        elif mode == RECORDED:
            current = "c.recorded_at <= :t AND (c.superseded_at IS NULL OR c.superseded_at > :t)"
        else:
            current = "c.effective_at <= :t AND c.superseded_at IS NULL"
        params: dict[str, Any] = {"cycle": cycle_id, "t": as_of}
        if history_for is None and only is not None:
            times = [as_of] * current.count(":t")
            return list(
                cursor.select_in(
                    f"SELECT * FROM {t} c WHERE c.cycle_id = %s AND "
                    f"{current.replace(':t', '%s')} AND c.kr_id IN",
                    sorted(only),
                    params=[cycle_id, *times],
                )
            )
        if history_for is not None and latest_for is not None and cursor.dialect == "postgres":
            sql = (
                f"SELECT c.* FROM unnest(CAST(:krs AS text[])) AS k(id) CROSS JOIN LATERAL ("
                f"SELECT * FROM {t} c "
                f"WHERE c.kr_id = k.id AND {current} ORDER BY c.effective_at DESC, "
                "c.recorded_at DESC, c.position DESC LIMIT 1) c"
            )
            params["krs"] = text_array(k for k in latest_for if k not in history_for)
            rows = self._query(cursor, sql, params)
            if history_for:
                params["krs"] = text_array(sorted(history_for))
                rows += self._query(
                    cursor,
                    f"SELECT * FROM {t} c WHERE c.kr_id = ANY(CAST(:krs AS text[])) AND {current}",
                    params,
                )
            return rows
        sql = (
            "SELECT * FROM (SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.kr_id "
            "ORDER BY c.effective_at DESC, c.recorded_at DESC, c.position DESC) AS newest "
            f"FROM {t} c WHERE c.cycle_id = :cycle AND {current}) x"
        )
        if history_for is not None:
            names = [f"k{i}" for i in range(len(history_for))]
            params.update(zip(names, sorted(history_for), strict=True))
            wanted = ", ".join(f":{n}" for n in names) or "NULL"
            sql += f" WHERE x.newest = 1 OR x.kr_id IN ({wanted})"
        return self._query(cursor, sql, params)

    @staticmethod
    def _query(cursor: Cursor, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``sql`` with ``:name`` parameters, on either database."""
        if cursor.dialect == "postgres":
            sql = re.sub(r":(\w+)", r"%(\1)s", sql)
        cursor.raw.execute(sql, params)
        return cursor.fetchall()

    def measurements(self, cursor: Cursor, *, as_of: int | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE recorded_at <= %s", (as_of,)) if as_of else ("", ())
        return cursor.execute(
            f"SELECT * FROM {self.t('measurements')} {where} ORDER BY effective_at, position",
            params,
        ).fetchall()

    def docs_of_kind(self, cursor: Cursor, kind: str) -> list[Doc]:
        rows = cursor.execute(
            f"SELECT doc FROM {self.t('nodes')} WHERE kind = %s", (kind,)
        ).fetchall()
        return [orjson.loads(row["doc"]) for row in rows]

    def versions_of(self, cursor: Cursor, cycle_id: str, kind: str) -> list[dict[str, Any]]:
        return cursor.execute(
            f"SELECT id, version, position, recorded_at, effective_at, doc "
            f"FROM {self.t('versions')} WHERE cycle_id = %s AND kind = %s "
            "ORDER BY position",
            (cycle_id, kind),
        ).fetchall()
