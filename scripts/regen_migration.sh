#!/usr/bin/env bash
# Regenerate the single initial Alembic revision from every duty's models (pre-1.0 only:
# once a release ships, add new revisions instead).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
tmp=$(mktemp -d)
rm -f src/hegui/storage/migrations/versions/*_initial_schema.py
"$PY" -c "from hegui.storage.migrate import revision; revision('sqlite:///$tmp/m.db', 'initial schema')"
rm -rf "$tmp"
ls src/hegui/storage/migrations/versions/
