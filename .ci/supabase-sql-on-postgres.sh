#!/usr/bin/env bash
# Runs the Supabase SQL tests (test/supabase) against the machine's PostgreSQL 15 instead of PGlite:
# the same SQL, plus the cases that need two sessions at once (concurrent transactions).
set -euo pipefail
cd "$(dirname "$0")/.."

source .ci/postgres.sh

db="portabase_supabase_$$"
# Supabase's roles are created by the tests (as Supabase creates them): the test role needs to be a superuser.
# The database uses the C collation: strings then order by code point, portabase's rule (the adapter requires it).
psql_admin "-c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portabase_admin') THEN CREATE ROLE portabase_admin LOGIN SUPERUSER PASSWORD 'portabase'; END IF; END \\\$\\\$\""
psql_admin "-c \"CREATE DATABASE $db OWNER portabase_admin TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'\""
cleanup() { psql_admin "-c \"DROP DATABASE IF EXISTS $db WITH (FORCE)\"" || true; }
trap cleanup EXIT

SUPABASE_TEST_DATABASE_URL="postgres://portabase_admin:portabase@127.0.0.1:5432/$db" npx jest --selectProjects supabase
