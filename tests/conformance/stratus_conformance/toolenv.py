"""Cached virtualenvs for the upstream tools (Tempest + plugins, Rally), kept apart from ours.

Each venv carries a stamp with the exact requirement set; a changed pin rebuilds it.
"""

import subprocess
import sys
from pathlib import Path

from . import paths

# Pinned so that the committed test lists and the counts in docs/conformance.md stay reproducible.
TEMPEST_REQUIREMENTS = (
    "tempest==47.0.0",
    "keystone-tempest-plugin==0.22.0",
    "neutron-tempest-plugin==3.3.0",
    "cinder-tempest-plugin==1.23.0",
    "glance-tempest-plugin==0.17.0",
    "heat-tempest-plugin==3.0.0",
    "barbican-tempest-plugin==4.6.0",
)

RALLY_REQUIREMENTS = (
    "rally==5.1.1",
    "rally-openstack==4.1.0",
)


def _log(msg: str) -> None:
    print(f"[conformance] {msg}", flush=True)


def ensure_venv(name: str, requirements: tuple[str, ...]) -> Path:
    """Create (or reuse) ``<cache>/<name>`` with exactly ``requirements``; return its bin dir."""
    root = paths.cache_dir() / name
    stamp = root / ".stratus-requirements"
    wanted = "\n".join(requirements) + "\n"
    python = root / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return root / "bin"
    root.parent.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        _log(f"creating virtualenv {root}")
        # The base interpreter, not our project venv: the tools must not see our packages.
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(root)], check=True)
    _log(f"installing {' '.join(requirements)} into {root} (first run only; a few minutes)")
    log = root / "pip.log"
    with log.open("w") as out:
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", *requirements],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if proc.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-15:])
        raise RuntimeError(f"pip install failed (see {log}):\n{tail}")
    stamp.write_text(wanted)
    return root / "bin"


def tempest_bin() -> Path:
    return ensure_venv("venv", TEMPEST_REQUIREMENTS)


def rally_bin() -> Path:
    return ensure_venv("rally-venv", RALLY_REQUIREMENTS)
