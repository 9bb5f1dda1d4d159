"""Where the harness keeps its inputs (in the repository) and its outputs (in a cache dir)."""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFORMANCE = HERE.parent
REPO = CONFORMANCE.parent.parent
LISTS = CONFORMANCE / "lists"
RA1_DIR = LISTS / "ra1_cntt"
PASSING = CONFORMANCE / "passing.txt"
RALLY_DIR = CONFORMANCE / "rally"
DOCS = REPO / "docs" / "conformance.md"
RESULTS = CONFORMANCE / "results"


def cache_dir() -> Path:
    """The cached tool virtualenvs and run directories (gitignored)."""
    return Path(os.environ.get("STRATUS_CONFORMANCE_CACHE", REPO / ".cache" / "conformance"))


def project_python() -> Path:
    return REPO / ".venv" / "bin" / "python"


def stratus_bin() -> Path:
    return REPO / ".venv" / "bin" / "stratus"
