"""Config drives: the metadata trees written to an ISO 9660 image labelled ``config-2``
(Rock Ridge and Joliet names, as nova's genisoimage call makes them), for drivers that boot
real guests. Built with pycdlib, in memory, then written atomically."""

import io
import os
from collections.abc import Iterable
from pathlib import Path

import pycdlib

LABEL = "config-2"


def _iso_name(name: str, is_dir: bool) -> str:
    """ISO 9660 level-4 names: up to 207 characters of almost anything; ``;1`` on files."""
    return name if is_dir else f"{name};1"


def build_iso(files: Iterable[tuple[str, bytes]]) -> bytes:
    iso = pycdlib.PyCdlib()
    iso.new(
        interchange_level=4,
        joliet=3,
        rock_ridge="1.09",
        vol_ident=LABEL,
        pub_ident_str="Stratus",
    )
    made: set[str] = set()
    # pycdlib keeps references to the streams until write time
    streams: list[io.BytesIO] = []
    for path, data in files:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            sub = "/".join(parts[:depth])
            if sub in made:
                continue
            made.add(sub)
            iso.add_directory(
                iso_path="/" + "/".join(_iso_name(p, True) for p in parts[:depth]),
                rr_name=parts[depth - 1],
                joliet_path="/" + sub,
            )
        stream = io.BytesIO(data)
        streams.append(stream)
        iso.add_fp(
            stream,
            len(data),
            iso_path="/" + "/".join(_iso_name(p, i < len(parts) - 1) for i, p in enumerate(parts)),
            rr_name=parts[-1],
            joliet_path="/" + "/".join(parts),
        )
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()


def write_image(path: Path, image: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(image)
    os.replace(tmp, path)


def read_files(path: Path) -> dict[str, bytes]:
    """Every file of a config drive by its Rock Ridge path (what a guest mounting it sees)."""
    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    try:
        out: dict[str, bytes] = {}
        for dirpath, _dirs, names in iso.walk(rr_path="/"):
            for name in names:
                full = f"{dirpath.rstrip('/')}/{name}"
                buf = io.BytesIO()
                iso.get_file_from_iso_fp(buf, rr_path=full)
                out[full.lstrip("/")] = buf.getvalue()
        return out
    finally:
        iso.close()


def volume_label(path: Path) -> str:
    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    try:
        label: bytes = iso.pvd.volume_identifier
        return label.decode().strip()
    finally:
        iso.close()
