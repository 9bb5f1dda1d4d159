"""The compute scheduler: placement candidates are the pre-filter, nova-style filters rule
hosts out, weighers score the rest, and claiming the allocation is Reserve (releasing it,
Unreserve)."""

from stratus.scheduler.filters import DEFAULT_FILTERS, Filter
from stratus.scheduler.request import HostState, NoValidHost, RequestSpec, Selection
from stratus.scheduler.scheduler import Scheduler
from stratus.scheduler.weighers import DEFAULT_WEIGHERS, Weigher

__all__ = [
    "DEFAULT_FILTERS",
    "DEFAULT_WEIGHERS",
    "Filter",
    "HostState",
    "NoValidHost",
    "RequestSpec",
    "Scheduler",
    "Selection",
    "Weigher",
]
