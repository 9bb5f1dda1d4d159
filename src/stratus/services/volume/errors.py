"""Block storage domain errors, with cinder's messages; the Nova-style formatter turns them
into ``{"itemNotFound": {...}}`` / ``{"badRequest": {...}}`` / ``{"overLimit": {...}}``."""

from stratus.kit.errors import BadRequest, Conflict, NotFound, PayloadTooLarge


class VolumeNotFound(NotFound):
    def __init__(self, volume_id: str) -> None:
        super().__init__(f"Volume {volume_id} could not be found.")


class SnapshotNotFound(NotFound):
    def __init__(self, snapshot_id: str) -> None:
        super().__init__(f"Snapshot {snapshot_id} could not be found.")


class BackupNotFound(NotFound):
    def __init__(self, backup_id: str) -> None:
        super().__init__(f"Backup {backup_id} could not be found.")


class VolumeTypeNotFound(NotFound):
    def __init__(self, type_id: str) -> None:
        super().__init__(f"Volume type {type_id} could not be found.")


class QosSpecsNotFound(NotFound):
    def __init__(self, specs_id: str) -> None:
        super().__init__(f"No such QoS spec {specs_id}.")


class TransferNotFound(NotFound):
    def __init__(self, transfer_id: str) -> None:
        super().__init__(f"Transfer {transfer_id} could not be found.")


class AttachmentNotFound(NotFound):
    def __init__(self, attachment_id: str) -> None:
        super().__init__(
            f"Volume attachment could not be found with filter: attachment_id = {attachment_id}."
        )


class InvalidInput(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid input received: {reason}")


class InvalidVolume(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid volume: {reason}")


class InvalidSnapshot(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid snapshot: {reason}")


class InvalidBackup(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid backup: {reason}")


class InvalidVolumeType(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid volume type: {reason}")


class InvalidQosSpecs(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid QoS specs: {reason}")


class VolumeTypeExists(Conflict):
    def __init__(self, type_id: str) -> None:
        super().__init__(f"Volume Type {type_id} already exists.")


class QosSpecsExists(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"QoS Specs {name} already exists.")


class QosSpecsInUse(BadRequest):
    def __init__(self, specs_id: str) -> None:
        super().__init__(f"QoS Specs {specs_id} is still associated with entities.")


class VolumeTypeInUse(BadRequest):
    def __init__(self, type_id: str) -> None:
        super().__init__(
            f"Volume Type {type_id} deletion is not allowed with volumes present with the type."
        )


class OverLimit(PayloadTooLarge):
    """Cinder answers quota failures with 413 (overLimit)."""


class GroupNotFound(NotFound):
    def __init__(self, group_id: str) -> None:
        super().__init__(f"Group {group_id} could not be found.")


class GroupTypeNotFound(NotFound):
    def __init__(self, type_id: str) -> None:
        super().__init__(f"Group type {type_id} could not be found.")


class GroupTypeNotFoundByName(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"Group type with name {name} could not be found.")


class GroupSnapshotNotFound(NotFound):
    def __init__(self, group_snapshot_id: str) -> None:
        super().__init__(f"GroupSnapshot {group_snapshot_id} could not be found.")


class MessageNotFound(NotFound):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"Message {message_id} could not be found.")


class GroupTypeExists(Conflict):
    def __init__(self, ref: str) -> None:
        super().__init__(f"Group Type {ref} already exists.")


class InvalidGroup(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid Group: {reason}")


class InvalidGroupType(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid group type: {reason}")


class InvalidGroupSnapshot(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid GroupSnapshot: {reason}")


class NovaUsingAttachment(Conflict):
    """cinder's ConflictNovaUsingAttachment (OSSA-2023-003)."""

    def __init__(self, instance_id: str) -> None:
        super().__init__(f"Detach volume from instance {instance_id} using the Compute API")
