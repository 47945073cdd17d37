#!/usr/bin/env bash
# One command: set up (if needed), start a throw-away PostgreSQL on loopback, run the whole suite
# against SQLite and PostgreSQL, including the headless-Chromium console tests.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test || exit 1
if [ -z "${HEGUI_TEST_POSTGRES_URL:-}" ]; then
  bash scripts/pg_test_server.sh status && started=0 || started=1
  HEGUI_TEST_POSTGRES_URL=$(bash scripts/pg_test_server.sh start) || { echo "could not start PostgreSQL" >&2; exit 1; }
  export HEGUI_TEST_POSTGRES_URL
  [ $started = 1 ] && trap 'bash scripts/pg_test_server.sh stop' EXIT  # only stop what this run started
fi
echo "[test] PostgreSQL at $HEGUI_TEST_POSTGRES_URL"
mkdir -p test-artifacts
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ $rc = 5 ]; then echo "[test] no tests collected" >&2; exit 1; fi
exit $rc
