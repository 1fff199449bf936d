#!/usr/bin/env bash
# The whole test suite: what `make test` and CI run.
#
# 1. Makes sure the system programs the tests use are there (Debian's chromium
#    for the browser tests, mosquitto for the broker tests); installs them with
#    apt-get when running as root, otherwise says exactly what to install.
# 2. Runs every test on SQLite.
# 3. Runs the database tests (marker `db`) again on PostgreSQL. Under CI=true a
#    missing PostgreSQL is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export GPIOZERO_PIN_FACTORY=mock
export PYTHONDONTWRITEBYTECODE=1

note() { printf '\n==> %s\n' "$*"; }

need_packages=()
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_packages+=(mosquitto)
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    note "installing ${need_packages[*]} from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null \
      || echo "WARNING: apt-get could not install ${need_packages[*]}"
  else
    note "MISSING: ${need_packages[*]}. Install with: sudo apt-get install ${need_packages[*]}"
    echo "    The tests that need them are skipped and say so."
  fi
fi

# --- PostgreSQL -------------------------------------------------------------
PG_DEFAULT="postgresql://postgres@127.0.0.1:5432/test"
pg_url="${INCUBATOR_TEST_DATABASE_URL:-$PG_DEFAULT}"
pg_ready() {
  "$BIN/python" - "$pg_url" <<'PY' >/dev/null 2>&1
import sys, psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
psycopg.connect(url, connect_timeout=3).close()
PY
}
if ! pg_ready && [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  note "PostgreSQL does not answer at $pg_url; trying to start it"
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do pg_ready && break; sleep 1; done
fi
run_pg=1
if ! pg_ready; then
  if [ "${CI:-}" = "true" ]; then
    note "FAIL: CI=true but PostgreSQL does not answer at $pg_url (set INCUBATOR_TEST_DATABASE_URL)"
    exit 1
  fi
  note "SKIPPED: PostgreSQL tests, no server answers at $pg_url (set INCUBATOR_TEST_DATABASE_URL)"
  run_pg=0
fi

status=0
note "test suite on SQLite"
env -u INCUBATOR_TEST_DATABASE_URL "$BIN/python" -m pytest -p no:cacheprovider "$@"
rc=$?
if [ $rc -eq 5 ]; then echo "FAIL: pytest collected no tests"; fi
[ $rc -ne 0 ] && status=1

if [ $run_pg = 1 ]; then
  note "database tests on PostgreSQL ($pg_url)"
  INCUBATOR_TEST_DATABASE_URL="$pg_url" "$BIN/python" -m pytest -p no:cacheprovider -m db "$@"
  rc=$?
  if [ $rc -eq 5 ]; then echo "FAIL: pytest collected no PostgreSQL tests"; fi
  [ $rc -ne 0 ] && status=1
fi
exit $status
