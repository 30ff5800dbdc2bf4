-- OKR Ledger on PostgreSQL with least privilege: run once per database, as a superuser
-- (or a role with CREATEROLE), before the first `okr-ledger init`:
--
--   psql -v owner_password=... -v service_password=... -f least-privilege.sql
--
-- okr_ledger_owner (the migration role) owns the schema and the log's tables and runs
--   `okr-ledger init --service-role okr_ledger_service`;
-- okr_ledger_service (the API, the follower, the publisher, the workers) may then only
--   SELECT the log, append through the SECURITY DEFINER append function, INSERT tree
--   nodes, checkpoints and witnesses' cosignatures, and keep the read models (derived
--   data, handed to it by init). After an upgrade that adds a table (the cosignatures),
--   run `okr-ledger init --service-role okr_ledger_service` again as the owner.
-- Triggers refuse UPDATE, DELETE and TRUNCATE on the events, leaves, nodes, checkpoints
-- and cosignatures whoever asks; only the owner could drop them, and `okr-ledger verify`
-- names the position of what it then rewrote. See docs/storage.md.
\set ON_ERROR_STOP on
CREATE ROLE okr_ledger_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE okr_ledger_service LOGIN PASSWORD :'service_password';
-- lets the owner hand the read models' tables over to the service (init does)
GRANT okr_ledger_service TO okr_ledger_owner;
CREATE SCHEMA okr_ledger AUTHORIZATION okr_ledger_owner;
-- CREATE: the service makes new read-model generations when it rebuilds them
GRANT USAGE, CREATE ON SCHEMA okr_ledger TO okr_ledger_service;
