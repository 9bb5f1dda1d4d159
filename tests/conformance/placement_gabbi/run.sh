#!/usr/bin/env bash
# Placement's own functional gabbi suite (from the openstack-placement wheel, unmodified)
# against Stratus Placement over real HTTP. Results: docs/conformance-placement.md.
#
#   tests/conformance/placement_gabbi/run.sh                 # every YAML file
#   tests/conformance/placement_gabbi/run.sh traits.yaml     # some files
#
# The suite and gabbi live in their own cached venv ($STRATUS_GABBI_VENV), apart from ours.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
VENV=${STRATUS_GABBI_VENV:-/tmp/stratus-gabbi-venv}
PLACEMENT_VERSION=${PLACEMENT_VERSION:-16.0.0}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import gabbi, placement, fixtures, oslotest" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "openstack-placement==$PLACEMENT_VERSION" gabbi fixtures oslotest
fi
mkdir -p "$ROOT/.cache"
MARKDOWN=()
if [ $# -eq 0 ]; then
  MARKDOWN=(--markdown "$ROOT/docs/conformance-placement.md")
fi
cd "$ROOT"
exec "$VENV/bin/python" tests/conformance/placement_gabbi/runner.py \
  --stratus-python "$ROOT/.venv/bin/python" \
  --json "$ROOT/.cache/placement-gabbi.json" "${MARKDOWN[@]}" "$@"
