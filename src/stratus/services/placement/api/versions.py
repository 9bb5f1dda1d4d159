"""Placement microversions, one line per version saying what changed."""

from stratus.api.microversion import MicroversionPolicy, Version

VERSIONS = [
    "1.0",  # initial: providers, inventories, usages, allocations
    "1.1",  # provider aggregates (GET/PUT /resource_providers/{uuid}/aggregates)
    "1.2",  # /resource_classes
    "1.3",  # member_of filter on GET /resource_providers
    "1.4",  # resources filter on GET /resource_providers
    "1.5",  # DELETE /resource_providers/{uuid}/inventories
    "1.6",  # /traits and /resource_providers/{uuid}/traits
    "1.7",  # PUT /resource_classes/{name} is a bodiless create-or-verify
    "1.8",  # project_id and user_id required in PUT /allocations/{consumer}
    "1.9",  # GET /usages
    "1.10",  # GET /allocation_candidates
    "1.11",  # 'allocations' link in provider representations
    "1.12",  # allocations as dicts keyed by provider in PUT/GET and candidates
    "1.13",  # POST /allocations for several consumers at once
    "1.14",  # parent/root provider uuids, in_tree filter
    "1.15",  # last-modified and cache-control headers
    "1.16",  # limit on GET /allocation_candidates
    "1.17",  # required traits on candidates; traits in provider summaries
    "1.18",  # required traits on GET /resource_providers
    "1.19",  # generation in provider aggregates GET/PUT
    "1.20",  # POST /resource_providers returns the provider (200)
    "1.21",  # member_of (incl. in:) on GET /allocation_candidates
    "1.22",  # forbidden traits (!T) in required
    "1.23",  # error codes in error bodies
    "1.24",  # repeated member_of parameters on GET /resource_providers
    "1.25",  # granular request groups (resourcesN, requiredN, member_ofN), group_policy
    "1.26",  # inventory reserved may equal total
    "1.27",  # provider summaries list all resource classes of the provider
    "1.28",  # consumer generations
    "1.29",  # nested providers in candidates; parent/root in summaries
    "1.30",  # POST /reshaper
    "1.31",  # in_tree / in_treeN on candidates
    "1.32",  # forbidden aggregates (!agg, !in:) in member_of
    "1.33",  # group suffixes may be [A-Za-z0-9_-]{1,64}
    "1.34",  # mappings in allocation requests
    "1.35",  # root_required on candidates
    "1.36",  # same_subtree; resourceless request groups
    "1.37",  # re-parenting and un-parenting providers
    "1.38",  # consumer_type on allocations and usages
    "1.39",  # in: any-of syntax in required / requiredN
]

MICROVERSION = MicroversionPolicy(
    service="placement",
    minimum=Version.parse(VERSIONS[0]),
    maximum=Version.parse(VERSIONS[-1]),
    vary="openstack-api-version",
)
