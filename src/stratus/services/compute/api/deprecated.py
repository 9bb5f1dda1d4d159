"""What nova's proxy APIs share: they exist up to 2.35 (MAX_PROXY_API_SUPPORT_VERSION) and
answer 404 from 2.36 on, as if the route were not there."""

from stratus.api.context import RequestContext
from stratus.kit.errors import NotFound
from stratus.services.compute.api.common import version

# the first microversion without the proxies (MAX_PROXY_API_SUPPORT_VERSION is 2.35)
GONE_FROM = "2.36"


def proxy_api(ctx: RequestContext) -> None:
    if version(ctx).at_least(GONE_FROM):
        raise NotFound("The resource could not be found.")
