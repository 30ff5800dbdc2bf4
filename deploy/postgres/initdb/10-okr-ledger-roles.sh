#!/bin/sh
# Run by the postgres image on its first start (docker-entrypoint-initdb.d): the roles
# and schema of deploy/postgres/least-privilege.sql, passwords from the environment.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner_password="$OKR_LEDGER_OWNER_PASSWORD" \
    -v service_password="$OKR_LEDGER_SERVICE_PASSWORD" \
    -f /okr-ledger/least-privilege.sql
