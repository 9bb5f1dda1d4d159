"""``os-instance_usage_audit_log`` (admin): the usage audit of the last completed period, or
of the period before a given time."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from stratus.api.deps import Ctx
from stratus.services.compute import proxy_policies as policies
from stratus.services.compute.api.common import reply, services
from stratus.services.compute.audit_log import audit_report, parse_before

router = APIRouter(prefix="/v2.1")

# No host runs nova's periodic usage audit (see audit_log.py): no task logs to report.
_NO_TASK_LOGS: dict[str, dict[str, object]] = {}


async def _hosts(request: Request) -> set[str]:
    return {
        v.row.host
        for v in await services(request).hosts.services()
        if v.row.binary == "nova-compute"
    }


@router.get("/os-instance_usage_audit_log")
async def list_audit_logs(request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AUDIT_LOG_LIST, {})
    return reply({"instance_usage_audit_logs": audit_report(await _hosts(request), _NO_TASK_LOGS)})


@router.get("/os-instance_usage_audit_log/{before}")
async def get_audit_log(before: str, request: Request, ctx: Ctx) -> Response:
    ctx.can(policies.AUDIT_LOG_SHOW, {})
    when = parse_before(before)
    return reply(
        {"instance_usage_audit_log": audit_report(await _hosts(request), _NO_TASK_LOGS, when)}
    )
