#!/usr/bin/env bash
# make rally: rally-openstack (own cached venv) runs RA1's rally_sanity_cntt tasks against a
# fresh Stratus; the summary goes to tests/conformance/results/rally.json and the docs.
# Extra arguments go to `runner.py rally` (e.g. --service keystone, --clouds-yaml FILE).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PY="$REPO/.venv/bin/python"
[ -x "$PY" ] || { echo "conformance: $PY missing; run 'make install' first" >&2; exit 3; }
exec "$PY" "$HERE/runner.py" rally "$@"
