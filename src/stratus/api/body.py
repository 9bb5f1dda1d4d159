"""Request bodies: JSON parsed by us, validated by pydantic, failures as 400 naming the field."""

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from stratus.kit.errors import BadRequest

M = TypeVar("M", bound=BaseModel)


async def json_body(request: Request, *, required: bool = True) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadRequest("The request body is empty; a JSON document is required.")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed request body: it is not valid JSON.") from None


def describe(err: ValidationError | Any) -> str:
    """One line naming the first bad field (pydantic or FastAPI validation errors)."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
    msg = first.get("msg", "invalid value")
    if first.get("type") == "extra_forbidden":
        return f"Invalid input for field '{loc}': additional properties are not allowed."
    if first.get("type") == "missing":
        return f"Invalid input for field '{loc}': '{loc.split('.')[-1]}' is a required property."
    if loc:
        return f"Invalid input for field '{loc}': {msg}."
    return f"Invalid input: {msg}."


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise BadRequest(describe(err)) from None


async def parse(request: Request, model: type[M]) -> M:
    return validate(model, await json_body(request))
