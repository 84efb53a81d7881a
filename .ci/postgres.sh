# Sourced by the CI scripts that run tests on the machine's PostgreSQL 15: installs it if missing,
# starts the cluster, and defines psql_admin (psql as the postgres user).
if ! command -v pg_ctlcluster >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi
pg_ctlcluster --skip-systemctl-redirect 15 main start 2>/dev/null || pg_ctlcluster --skip-systemctl-redirect 15 main status >/dev/null
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -q $*"; }
