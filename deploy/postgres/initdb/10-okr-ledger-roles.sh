#!/bin/sh
# Run by the postgres image on its first start (docker-entrypoint-initdb.d): the roles
# and schema of deploy/postgres/least-privilege.sql; both roles log in with the
# database password the compose file sets (POSTGRES_PASSWORD).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner_password="$POSTGRES_PASSWORD" \
    -v service_password="$POSTGRES_PASSWORD" \
    -f /okr-ledger/least-privilege.sql
