#!/usr/bin/env bash
# Runs the Parse tests against the machine's PostgreSQL 15 instead of PGlite.
set -euo pipefail
cd "$(dirname "$0")/.."

source .ci/postgres.sh

db="portabase_ci_$$"
psql_admin "-c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portabase') THEN CREATE ROLE portabase LOGIN PASSWORD 'portabase'; END IF; END \\\$\\\$\""
psql_admin "-c \"CREATE DATABASE $db OWNER portabase\""
cleanup() { psql_admin "-c \"DROP DATABASE IF EXISTS $db WITH (FORCE)\"" || true; }
trap cleanup EXIT

PARSE_DATABASE_URI="postgres://portabase:portabase@127.0.0.1:5432/$db" \
  npx jest --selectProjects parse contract offline -- test/backends/parse test/parse test/contract/parse.test.ts test/contract/sync-spi-parse.test.ts test/offline/parse.test.ts
