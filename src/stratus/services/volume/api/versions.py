"""Block storage microversions: one line per version saying what changed here. Versions
whose feature is not served (consistency groups, clusters, workers, replication) are listed
so clients see cinder's range; their routes answer 501."""

from typing import Any

from stratus.api.microversion import MicroversionPolicy, Version

VERSIONS = [
    "3.0",  # the v3 API (v2 compatible)
    "3.1",  # image upload takes visibility and protected
    "3.2",  # bootable filter on volume list
    "3.3",  # user messages
    "3.4",  # glance_metadata filter on volume list
    "3.5",  # user messages paging, sorting and filters
    "3.6",  # (consistency group update: not served)
    "3.7",  # (cluster_name in services: not shown)
    "3.8",  # manageable volumes and snapshots lists
    "3.9",  # backup update (name, description)
    "3.10",  # group_id filter on volume list
    "3.11",  # group types and group specs
    "3.12",  # volume summary
    "3.13",  # generic volume groups; volumes show group_id
    "3.14",  # group snapshots, groups from a source; snapshots show group_snapshot_id
    "3.15",  # (ETag on volume update: not used)
    "3.16",  # (migrate to cluster: not served)
    "3.17",  # (manageable lists by cluster: not served)
    "3.18",  # backups show os-backup-project-attr:project_id (admin)
    "3.19",  # group snapshot reset status
    "3.20",  # group reset status
    "3.21",  # volumes show provider_id (admin)
    "3.22",  # snapshot list metadata filter
    "3.23",  # volume delete takes force
    "3.24",  # (worker cleanup: not served)
    "3.25",  # groups show their volumes (list_volume)
    "3.26",  # (replication failover: not served)
    "3.27",  # attachments API
    "3.28",  # group list paging
    "3.29",  # group snapshot list paging
    "3.30",  # snapshots sortable by name
    "3.31",  # (filters like: partial)
    "3.32",  # (log levels: not served)
    "3.33",  # (resource filters list: not served)
    "3.34",  # name~ like filters on volume list
    "3.35",  # group_id among the volume list filters
    "3.36",  # volume summary shows metadata
    "3.37",  # backup list paging (limit, marker, sort)
    "3.38",  # groups show replication_status (replication actions: 501)
    "3.39",  # limits take project_id (admin)
    "3.40",  # revert a volume to its latest snapshot
    "3.41",  # snapshots show user_id
    "3.42",  # extend in-use volumes
    "3.43",  # backup metadata
    "3.44",  # attachment os-complete
    "3.45",  # count in list answers (with_count)
    "3.46",  # (create image volumes with encryption: n/a)
    "3.47",  # create a volume from a backup
    "3.48",  # volumes show service_uuid and shared_targets
    "3.49",  # (service backend_state: not shown)
    "3.50",  # multiattach volumes
    "3.51",  # backup availability_zone on create
    "3.52",  # RESKEY:availability_zones filter on type list
    "3.53",  # strict request schemas
    "3.54",  # attachment mode (rw/ro)
    "3.55",  # transfers with no_snapshots (/volume-transfers)
    "3.56",  # backups show user_id; list filters by user/project
    "3.57",  # transfers show source/destination project and accepted
    "3.58",  # groups and group snapshots show project_id (admin)
    "3.59",  # transfer list paging and sorting
    "3.60",  # volume list filters by created_at / updated_at
    "3.61",  # volumes show cluster_name (admin)
    "3.62",  # default volume types per project
    "3.63",  # volumes show volume_type_id
    "3.64",  # volumes and backups show encryption_key_id
    "3.65",  # volumes and snapshots show consumes_quota; consumes_quota list filter
    "3.66",  # snapshots of in-use volumes without force (force=false is refused)
    "3.67",  # project_id optional in URLs (/v3/volumes as /v3/{project_id}/volumes)
    "3.68",  # os-reimage volume action
    "3.69",  # shared_targets may be null (Stratus backends never need forced locking)
    "3.70",  # transfers of encrypted volumes
    "3.71",  # os-extend_volume_completion volume action
]

MINIMUM = Version.parse(VERSIONS[0])
MAXIMUM = Version.parse(VERSIONS[-1])
MICROVERSION = MicroversionPolicy(service="volume", minimum=MINIMUM, maximum=MAXIMUM)
UPDATED = "2023-08-31T00:00:00Z"


def version_doc(base: str) -> dict[str, Any]:
    return {
        "id": "v3.0",
        "status": "CURRENT",
        "version": str(MAXIMUM),
        "min_version": str(MINIMUM),
        "updated": UPDATED,
        "links": [
            {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
            {"rel": "self", "href": f"{base}/volume/v3/"},
        ],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}
        ],
    }
