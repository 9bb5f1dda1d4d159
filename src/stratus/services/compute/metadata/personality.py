"""File injection (``personality``, up to 2.56): the files of a create or rebuild request,
checked as nova checks them (base64 contents; the injected_files, injected_file_path_bytes and
injected_file_content_bytes quotas), stored for the config drive."""

import base64
import binascii
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.kit.errors import BadRequest, Forbidden
from stratus.quota import QuotaEngine
from stratus.services.compute.metadata import repository as repo

Files = list[tuple[str, bytes]]

_QUOTAS = ("injected_files", "injected_file_path_bytes", "injected_file_content_bytes")


def parse(raw: Any) -> Files:
    """``[{"path": ..., "contents": <base64>}]`` → (path, bytes); 400 for anything else."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadRequest(
            f"Invalid input for field/attribute personality. Value: {raw}. "
            f"{raw!r} is not of type 'array'"
        )
    out: Files = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"path", "contents"}:
            raise BadRequest(
                f"Invalid input for field/attribute personality. Value: {item}. "
                "Additional properties are not allowed"
            )
        path, contents = item.get("path"), item.get("contents")
        if not isinstance(path, str):
            raise BadRequest(
                f"Invalid input for field/attribute path. Value: {path}. "
                f"{path!r} is not of type 'string'"
            )
        if not isinstance(contents, str):
            raise BadRequest(
                f"Invalid input for field/attribute contents. Value: {contents}. "
                f"{contents!r} is not of type 'string'"
            )
        try:
            data = base64.b64decode(contents, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(
                f"Invalid input for field/attribute contents. Value: {contents}. "
                f"'{contents}' is not a 'base64'"
            ) from None
        out.append((path, data))
    return out


async def check_quota(
    quota: QuotaEngine, session: AsyncSession, project_id: str, files: Files
) -> None:
    """nova's _check_injected_file_quota: 403 past any of the three limits (-1 unlimited)."""
    if not files:
        return
    limits = await quota.limits(session, project_id, names=[f"compute.{q}" for q in _QUOTAS])
    count = limits.get("compute.injected_files", -1)
    if 0 <= count < len(files):
        raise Forbidden("Personality file limit exceeded")
    path_max = limits.get("compute.injected_file_path_bytes", -1)
    content_max = limits.get("compute.injected_file_content_bytes", -1)
    for path, data in files:
        if 0 <= path_max < len(path.encode()):
            raise Forbidden(f"Personality file path exceeds maximum {path_max}")
        if 0 <= content_max < len(data):
            raise Forbidden(f"Personality file content exceeds maximum {content_max}")


def store(session: AsyncSession, uuid: str, files: Files) -> None:
    """Keep a new instance's files (in the creating transaction)."""
    repo.add_files(session, uuid, files)


async def replace(session: AsyncSession, uuid: str, files: Files) -> None:
    """A rebuild's files replace the old ones."""
    await repo.delete_files(session, uuid)
    await session.flush()
    repo.add_files(session, uuid, files)
