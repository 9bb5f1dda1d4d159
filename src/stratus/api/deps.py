"""FastAPI dependencies every handler uses: the request context (authenticated or not)."""

from typing import Annotated

from fastapi import Depends, Request

from stratus.api.context import RequestContext
from stratus.api.microversion import MicroversionPolicy
from stratus.api.runtime import Runtime
from stratus.kit.errors import NotFound, Unauthorized

TOKEN_HEADER = "x-auth-token"
SERVICE_TOKEN_HEADER = "x-service-token"


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    """Async on purpose: FastAPI runs plain ``def`` dependencies in a thread pool."""
    return runtime_of(request)


async def _context(request: Request, *, required: bool) -> RequestContext:
    runtime = runtime_of(request)
    state = request.scope.setdefault("state", {})
    token = request.headers.get(TOKEN_HEADER)
    auth = None
    if token:
        if runtime.validator is None:
            raise Unauthorized("The request you have made requires authentication.")
        try:
            auth = await runtime.validator.validate(token)
        except NotFound:
            raise Unauthorized("The request you have made requires authentication.") from None
    elif required:
        raise Unauthorized("The request you have made requires authentication.")
    ctx = RequestContext(
        request_id=state.get("request_id", ""), auth=auth, policy=runtime.policy, token=token
    )
    policy: MicroversionPolicy | None = getattr(request.app.state, "microversion", None)
    if policy is not None:
        ctx.version = policy.negotiate({k.lower(): v for k, v in request.headers.items()})
        state["version"] = ctx.version
    return ctx


async def service_roles(request: Request) -> tuple[str, ...]:
    """The roles of the request's ``X-Service-Token`` (a service acting for the user, as
    keystonemiddleware reads it); none without one. An invalid service token is a 401."""
    token = request.headers.get(SERVICE_TOKEN_HEADER)
    if not token:
        return ()
    runtime = runtime_of(request)
    if runtime.validator is None:
        raise Unauthorized("The request you have made requires authentication.")
    try:
        auth = await runtime.validator.validate(token)
    except NotFound:
        raise Unauthorized("The service token in the request is not valid.") from None
    return tuple(auth.roles)


async def authenticated_context(request: Request) -> RequestContext:
    return await _context(request, required=True)


async def optional_context(request: Request) -> RequestContext:
    return await _context(request, required=False)


Ctx = Annotated[RequestContext, Depends(authenticated_context)]
AnonCtx = Annotated[RequestContext, Depends(optional_context)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
