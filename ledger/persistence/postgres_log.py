"""The transparency log's tables on PostgreSQL: leaves, tree nodes, checkpoints and
witnesses' cosignatures, and the triggers that refuse UPDATE, DELETE and TRUNCATE on
them and on the events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Composed, Identifier, Literal

from ledger.tlog.store import CheckpointRow, CosignatureRow, Leaf

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{refuse}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'okr-ledger: the log is append-only: % on %.% is refused',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$body$
"""


# Made only where missing (at every start, and again after an owner dropped one):
# CREATE OR REPLACE TRIGGER would lock each table against appends every time.
ONLY_IF_MISSING = """
DO $body$ BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = {schema} AND c.relname = {table} AND t.tgname = {name}
    ) THEN
        {create};
    END IF;
END $body$
"""


class PostgresLogTables:
    """Mixed into the application recorder (it supplies ``datastore`` and the
    events table's name)."""

    datastore: PostgresDatastore
    events_table_name: str
    sql_create_statements: list[Composed]

    def define_log_tables(self, base: str) -> None:
        self.leaves_table_name = f"{base}_leaves"
        self.nodes_table_name = f"{base}_nodes"
        self.checkpoints_table_name = f"{base}_checkpoints"
        self.cosignatures_table_name = f"{base}_cosignatures"
        self.refuse_function_name = f"{base}_refuse_rewrite"
        schema = Identifier(self.datastore.schema)
        leaves, nodes, checkpoints, cosignatures = (
            Identifier(self.leaves_table_name),
            Identifier(self.nodes_table_name),
            Identifier(self.checkpoints_table_name),
            Identifier(self.cosignatures_table_name),
        )
        self.sql_create_statements.extend(
            SQL(statement).format(schema, table)
            for statement, table in (
                (
                    "CREATE TABLE IF NOT EXISTS {0}.{1} (leaf_index bigint PRIMARY KEY, "
                    "position bigint NOT NULL UNIQUE, leaf_hash bytea NOT NULL)",
                    leaves,
                ),
                (
                    "CREATE TABLE IF NOT EXISTS {0}.{1} (level smallint NOT NULL, "
                    "node_index bigint NOT NULL, hash bytea NOT NULL, "
                    "PRIMARY KEY (level, node_index))",
                    nodes,
                ),
                (
                    "CREATE TABLE IF NOT EXISTS {0}.{1} (size bigint PRIMARY KEY, "
                    "root_hash bytea NOT NULL, note text NOT NULL, "
                    "issued_at timestamptz NOT NULL)",
                    checkpoints,
                ),
                (
                    "CREATE TABLE IF NOT EXISTS {0}.{1} (witness text NOT NULL, "
                    "size bigint NOT NULL, line text NOT NULL, PRIMARY KEY (witness, size))",
                    cosignatures,
                ),
            )
        )

        def q(text: str, table: Identifier) -> Composed:
            return SQL(text).format(schema, table)

        self._leaf_columns = "leaf_index, position, leaf_hash"
        self._max_leaf = q("SELECT max(leaf_index) FROM {0}.{1}", leaves)
        self._leaves_from = q(
            "SELECT leaf_index, position, leaf_hash FROM {0}.{1} "
            "WHERE leaf_index >= %s ORDER BY leaf_index LIMIT %s",
            leaves,
        )
        self._leaves_after = q(
            "SELECT leaf_index, position, leaf_hash FROM {0}.{1} "
            "WHERE position > %s ORDER BY position LIMIT %s",
            leaves,
        )
        self._leaves_at = q(
            "SELECT leaf_index, position, leaf_hash FROM {0}.{1} WHERE leaf_index = ANY(%s)",
            leaves,
        )
        self._leaves_of = q(
            "SELECT leaf_index, position, leaf_hash FROM {0}.{1} WHERE position = ANY(%s)",
            leaves,
        )
        self._nodes_at = SQL(
            "SELECT 0 AS level, leaf_index AS node_index, leaf_hash AS hash FROM {0}.{1} "
            "WHERE leaf_index = ANY(%s) UNION ALL "
            "SELECT n.level, n.node_index, n.hash FROM {0}.{2} n "
            "JOIN unnest(%s::smallint[], %s::bigint[]) AS k(level, node_index) "
            "USING (level, node_index)"
        ).format(schema, leaves, nodes)
        self._frontier = q("SELECT max(node_index) FROM {0}.{1} WHERE level = 1", nodes)
        self._insert_nodes = q(
            "INSERT INTO {0}.{1} (level, node_index, hash) "
            "SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[]) "
            "ON CONFLICT DO NOTHING",
            nodes,
        )
        self._insert_checkpoint = q(
            "INSERT INTO {0}.{1} (size, root_hash, note, issued_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            checkpoints,
        )
        self._checkpoints = q(
            "SELECT size, root_hash, note, issued_at FROM {0}.{1} ORDER BY size", checkpoints
        )
        self._checkpoint_at = q(
            "SELECT size, root_hash, note, issued_at FROM {0}.{1} WHERE size = %s", checkpoints
        )
        self._latest_checkpoint = q(
            "SELECT size, root_hash, note, issued_at FROM {0}.{1} ORDER BY size DESC LIMIT 1",
            checkpoints,
        )

        self._add_cosignature = q(
            "INSERT INTO {0}.{1} (witness, size, line) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            cosignatures,
        )
        self._cosigned_size = q(
            "SELECT coalesce(max(size), 0) AS size FROM {0}.{1} WHERE witness = %s", cosignatures
        )
        self._cosignatures = q(
            "SELECT size, witness, line FROM {0}.{1} ORDER BY size, witness", cosignatures
        )
        self._cosignatures_of = q(
            "SELECT size, witness, line FROM {0}.{1} WHERE size = ANY(%s) ORDER BY size, witness",
            cosignatures,
        )

    def refusing_triggers(self) -> list[Composed]:
        schema, refuse = Identifier(self.datastore.schema), Identifier(self.refuse_function_name)
        statements = [SQL(REFUSE_FUNCTION).format(schema=schema, refuse=refuse)]
        for table in (
            self.events_table_name,
            self.leaves_table_name,
            self.nodes_table_name,
            self.checkpoints_table_name,
            self.cosignatures_table_name,
        ):
            for name, when in (
                (f"{table}_refuse_rows", "BEFORE UPDATE OR DELETE ON {0}.{1} FOR EACH ROW"),
                (f"{table}_refuse_truncate", "BEFORE TRUNCATE ON {0}.{1} FOR EACH STATEMENT"),
            ):
                create = SQL("CREATE TRIGGER {t} " + when + " EXECUTE FUNCTION {0}.{r}()").format(
                    schema, Identifier(table), t=Identifier(name), r=refuse
                )
                statements.append(
                    SQL(ONLY_IF_MISSING).format(
                        schema=Literal(self.datastore.schema),
                        table=Literal(table),
                        name=Literal(name),
                        create=create,
                    )
                )
        return statements

    # -- queries -----------------------------------------------------------------------

    def _rows(self, statement: Composed, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return curs.fetchall()

    def _scalar(self, statement: Composed) -> Any:
        rows = self._rows(statement)
        return next(iter(rows[0].values())) if rows else None

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        return [_leaf(r) for r in self._rows(self._leaves_from, (start, limit))]

    def select_leaves_by_position(self, after: int, limit: int) -> list[Leaf]:
        return [_leaf(r) for r in self._rows(self._leaves_after, (after, limit))]

    def leaf_count(self) -> int:
        last = self._scalar(self._max_leaf)
        return 0 if last is None else last + 1

    def leaves_at(self, indexes: Sequence[int]) -> dict[int, Leaf]:
        return {r["leaf_index"]: _leaf(r) for r in self._rows(self._leaves_at, (list(indexes),))}

    def leaves_of(self, positions: Sequence[int]) -> dict[int, Leaf]:
        return {r["position"]: _leaf(r) for r in self._rows(self._leaves_of, (list(positions),))}

    def select_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """One round trip: leaf hashes for level 0, stored nodes above."""
        inner = [k for k in keys if k[0] > 0]
        rows = self._rows(
            self._nodes_at,
            ([i for lv, i in keys if lv == 0], [k[0] for k in inner], [k[1] for k in inner]),
        )
        return {(r["level"], r["node_index"]): bytes(r["hash"]) for r in rows}

    def nodes_frontier(self) -> int:
        last = self._scalar(self._frontier)
        return 0 if last is None else 2 * (last + 1)

    def insert_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        if not nodes:
            return
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self._insert_nodes,
                ([n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes]),
            )

    def insert_checkpoint(self, row: CheckpointRow) -> bool:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self._insert_checkpoint, (row.size, row.root_hash, row.note, row.issued_at)
            )
            return curs.rowcount == 1

    def select_checkpoints(self) -> list[CheckpointRow]:
        return [_checkpoint(r) for r in self._rows(self._checkpoints)]

    def select_checkpoint(self, size: int | None) -> CheckpointRow | None:
        if size is None:
            rows = self._rows(self._latest_checkpoint)
        else:
            rows = self._rows(self._checkpoint_at, (size,))
        return _checkpoint(rows[0]) if rows else None

    def add_cosignature(self, size: int, witness: str, line: str) -> bool:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._add_cosignature, (witness, size, line))
            return curs.rowcount == 1

    def cosigned_size(self, witness: str) -> int:
        return int(self._rows(self._cosigned_size, (witness,))[0]["size"])

    def select_cosignatures(self, sizes: Sequence[int] | None = None) -> list[CosignatureRow]:
        if sizes is None:
            rows = self._rows(self._cosignatures)
        else:
            rows = self._rows(self._cosignatures_of, (list(sizes),))
        return [CosignatureRow(r["size"], r["witness"], r["line"]) for r in rows]


def _leaf(r: Any) -> Leaf:
    return Leaf(r["leaf_index"], r["position"], bytes(r["leaf_hash"]))


def _checkpoint(r: Any) -> CheckpointRow:
    return CheckpointRow(r["size"], bytes(r["root_hash"]), r["note"], r["issued_at"])
