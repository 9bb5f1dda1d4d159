#!/usr/bin/env bash
# make conformance: every list (per service, interop, RA1 cases) against a fresh Stratus, then
# rally_sanity_cntt against another fresh Stratus, then docs/conformance.md is regenerated.
# SKIP_RALLY=1 skips Rally. Extra arguments go to `runner.py all`.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PY="$REPO/.venv/bin/python"
[ -x "$PY" ] || { echo "conformance: $PY missing; run 'make install' first" >&2; exit 3; }
"$PY" "$HERE/runner.py" all "$@"
rc=$?
if [ "${SKIP_RALLY:-0}" != 1 ]; then
  "$PY" "$HERE/runner.py" rally || true   # its verdict is in the docs; it does not gate
fi
echo "docs/conformance.md regenerated"
exit $rc
