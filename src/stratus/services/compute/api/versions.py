"""Compute microversions: one line per version saying what changed and whether the change
shows here. Versions that only touch routes we answer with 501 (moves, attach, consoles,
images, ...) are listed so clients see nova's range; what they change applies nowhere.
"""

from stratus.api.microversion import MicroversionPolicy, Version

VERSIONS = [
    "2.1",  # the v2.1 base API
    "2.2",  # keypairs carry "type" (ssh / x509); create takes it
    "2.3",  # servers show OS-EXT-SRV-ATTR reservation_id, launch_index, hostname, ... (admin)
    "2.4",  # (reserved-IP flag on os-fixed-ips: proxy route, not served)
    "2.5",  # (ip6 filter on server list for non-admins)
    "2.6",  # remote consoles (validated as upstream, then 501: no console proxy runs)
    "2.7",  # (flavor access check on add: 409 for public flavors)
    "2.8",  # (mks console: not served)
    "2.9",  # servers show "locked"
    "2.10",  # keypairs: admin may act for another user_id
    "2.11",  # os-services forced_down
    "2.12",  # (os-virtual-interfaces: not served)
    "2.13",  # server groups show project_id/user_id
    "2.14",  # evacuate drops onSharedStorage and answers no adminPass
    "2.15",  # soft-(anti-)affinity policies
    "2.16",  # servers show host_status (policy)
    "2.17",  # trigger_crash_dump action
    "2.18",  # project id optional in URLs (we never put it there)
    "2.19",  # servers carry "description"
    "2.20",  # (volume attach on shelved: not served)
    "2.21",  # instance actions of deleted servers are readable
    "2.22",  # force_complete of a running live migration
    "2.23",  # migration_type and links in os-migrations; /servers/{id}/migrations
    "2.24",  # abort a live migration (DELETE /servers/{id}/migrations/{id})
    "2.25",  # os-migrateLive: block_migration "auto", no disk_over_commit
    "2.26",  # server tags
    "2.27",  # OpenStack-API-Version header accepted
    "2.28",  # hypervisor cpu_info is an object
    "2.29",  # evacuate accepts force (destination still scheduled here)
    "2.30",  # os-migrateLive accepts force (destination still scheduled here)
    "2.31",  # (serial console: not served)
    "2.32",  # device tags on networks in create (accepted, kept in requested networks)
    "2.33",  # hypervisors paging (limit / marker)
    "2.34",  # live migration checks run after the 202 (a failed one shows in the action)
    "2.35",  # keypairs paging (limit / marker)
    "2.36",  # quota sets and limits drop network quotas; proxy APIs gone
    "2.37",  # networks is required in create: "auto", "none" or a list
    "2.38",  # invalid status filter answers 400
    "2.39",  # (image-metadata proxy gone: not served)
    "2.40",  # (simple tenant usage paging: not served)
    "2.41",  # aggregates show their uuid
    "2.42",  # device tags (again) in create
    "2.43",  # (os-hosts gone)
    "2.44",  # (addFixedIp etc. gone: not served)
    "2.45",  # createImage/createBackup answer {"image_id"} instead of Location
    "2.46",  # request id of the action in actions is the same for all servers of a multi-create
    "2.47",  # server "flavor" embeds the flavor (vcpus, ram, disk, ephemeral, swap, name, specs)
    "2.48",  # diagnostics in one standard form (GET /servers/{id}/diagnostics)
    "2.49",  # tagged volume attach
    "2.50",  # quota classes add server_groups/server_group_members
    "2.51",  # (volume-extended event: not served)
    "2.52",  # tags in create
    "2.53",  # services and hypervisors addressed by uuid
    "2.54",  # (rebuild with key_name: not served)
    "2.55",  # flavor "description"; PUT /flavors/{id} updates it
    "2.56",  # migrate takes a target host
    "2.57",  # personality gone; quota sets / limits drop injected file quotas
    "2.58",  # instance actions paging and changes-since
    "2.59",  # migrations: uuid, limit/marker/changes-since
    "2.60",  # multiattach volumes may be attached
    "2.61",  # flavors show "extra_specs"
    "2.62",  # instance action events show host and hostId
    "2.63",  # trusted_image_certificates on servers (always null here)
    "2.64",  # server groups: one policy plus rules (max_server_per_host)
    "2.65",  # abort a queued or preparing live migration too
    "2.66",  # instance actions changes-before
    "2.67",  # (volume_type in block device mapping: volumes not served)
    "2.68",  # evacuate and os-migrateLive lose force
    "2.69",  # (down-cell minimal views: one cell here, never shown)
    "2.70",  # interface and volume attachment "tag"
    "2.71",  # server show/update carry "server_groups"
    "2.72",  # (neutron ports with resource requests: bandwidth not modelled)
    "2.73",  # servers show "locked_reason"
    "2.74",  # create takes host / hypervisor_hostname (admin)
    "2.75",  # flavor swap is 0, not ""; unknown list query parameters answer 400
    "2.76",  # power-update external event
    "2.77",  # unshelve of an offloaded server to an availability zone
    "2.78",  # (topology: not served)
    "2.79",  # delete_on_termination in volume attachments
    "2.80",  # migrations: user_id/project_id fields and filters
    "2.81",  # (image cache: not served)
    "2.82",  # (accelerator-request-bound event: not served)
    "2.83",  # non-admins may filter servers by more fields
    "2.84",  # instance action events show "details" (admin)
    "2.85",  # volume attachment update (delete_on_termination)
    "2.86",  # extra specs validated strictly (unknown keys in nova namespaces: 400)
    "2.87",  # (rescue with volumes: not served)
    "2.88",  # hypervisors drop cpu/memory/disk/usage fields; statistics answers 404
    "2.89",  # volume attachments show/list: attachment_id and bdm_uuid, no id
    "2.90",  # hostname settable on create/update/rebuild; OS-EXT-SRV-ATTR:hostname for all
    "2.91",  # unshelve to a host (admin) / availability_zone null unpins
    "2.92",  # keypair create needs public_key (no generation); '@' and '.' in names
    "2.93",  # rebuild of a volume-backed server re-images its root volume (os-reimage)
    "2.94",  # hostname may be an FQDN (letters, digits, '-', '.', '_'; up to 255)
    "2.95",  # an evacuated server is left stopped at its destination
]

MINIMUM = Version.parse(VERSIONS[0])
MAXIMUM = Version.parse(VERSIONS[-1])

MICROVERSION = MicroversionPolicy(
    service="compute",
    minimum=MINIMUM,
    maximum=MAXIMUM,
    legacy_header="X-OpenStack-Nova-API-Version",
)
