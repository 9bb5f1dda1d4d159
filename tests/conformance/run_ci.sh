#!/usr/bin/env bash
# The conformance ratchet (make conformance-ci; the last step of make test): a fresh Stratus,
# and every Tempest id in tests/conformance/passing.txt must pass. An empty list passes.
# Extra arguments go to `runner.py ci` (e.g. --clouds-yaml FILE to test an existing cloud).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PY="$REPO/.venv/bin/python"
[ -x "$PY" ] || { echo "conformance: $PY missing; run 'make install' first" >&2; exit 3; }
exec "$PY" "$HERE/runner.py" ci "$@"
