"""Reading an image's virtual size from its header, as Glance's format inspector does."""

import struct

QCOW2_MAGIC = b"QFI\xfb"
VMDK_MAGIC = b"KDMV"
VHDX_MAGIC = b"vhdxfile"


def virtual_size(head: bytes, disk_format: str | None, size: int) -> int | None:
    """The disk's virtual size in bytes, or None when the header does not say."""
    if head.startswith(QCOW2_MAGIC) and len(head) >= 32:
        return int(struct.unpack(">Q", head[24:32])[0])
    if head.startswith(VMDK_MAGIC) and len(head) >= 20:
        sectors = struct.unpack("<Q", head[12:20])[0]
        return int(sectors) * 512
    if disk_format in ("raw", "iso"):
        return size
    return None
