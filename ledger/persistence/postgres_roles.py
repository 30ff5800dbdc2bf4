"""Least privilege on PostgreSQL: the tables belong to a migration role (the one that
runs ``okr-ledger init``); the service's role may only read the log, append through
the append function and add tree nodes, checkpoints and witnesses' cosignatures. The
read models, which are derived data rebuilt at will, are handed over to the service's
role.

Run by ``okr-ledger init --service-role NAME`` as the owner, after the roles and the
schema exist (``deploy/postgres/least-privilege.sql`` makes them; ``docs/storage.md``).
"""

from __future__ import annotations

from psycopg.sql import SQL, Identifier

from ledger.persistence.postgres import ChainedPostgresApplicationRecorder


def grant_service_role(recorder: ChainedPostgresApplicationRecorder, role: str) -> list[str]:
    """Grant ``role`` what the service needs and nothing more; hand it the read models.
    Returns the names of the tables handed over."""
    schema, service = Identifier(recorder.datastore.schema), Identifier(role)
    log_tables = [
        recorder.events_table_name,
        recorder.leaves_table_name,
        recorder.nodes_table_name,
        recorder.checkpoints_table_name,
        recorder.cosignatures_table_name,
    ]
    append = SQL("{0}.{1}({0}.{2}[])").format(
        schema,
        Identifier(recorder.append_function_name),
        Identifier(recorder.stored_event_type_name),
    )
    library_insert = SQL("{0}.{1}({0}.{2}[])").format(
        schema,
        Identifier(recorder.pg_function_name_insert_events),
        Identifier(recorder.stored_event_type_name),
    )
    statements = [
        SQL("REVOKE ALL ON FUNCTION {0} FROM PUBLIC").format(append),
        SQL("REVOKE ALL ON FUNCTION {0} FROM PUBLIC").format(library_insert),
        SQL("GRANT EXECUTE ON FUNCTION {0} TO {1}").format(append, service),
        SQL("GRANT USAGE ON SCHEMA {0} TO {1}").format(schema, service),
        *(
            SQL("GRANT SELECT ON {0}.{1} TO {2}").format(schema, Identifier(t), service)
            for t in log_tables
        ),
        *(
            SQL("GRANT INSERT ON {0}.{1} TO {2}").format(schema, Identifier(t), service)
            for t in log_tables[2:]
        ),
    ]
    with recorder.datastore.transaction(commit=True) as curs:
        for statement in statements:
            curs.execute(statement, prepare=False)
        curs.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tableowner = current_user "
            "AND NOT tablename = ANY(%s) ORDER BY tablename",
            (recorder.datastore.schema, log_tables),
        )
        derived = [row["tablename"] for row in curs.fetchall()]
        for table in derived:
            curs.execute(
                SQL("ALTER TABLE {0}.{1} OWNER TO {2}").format(schema, Identifier(table), service),
                prepare=False,
            )
    return derived
