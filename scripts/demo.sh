#!/usr/bin/env bash
# One command: set up (if needed) and run the gateway with its console on SQLite and the demo model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/hegui serve "$@"
