"""What an image's bytes are, read from their first bytes as Glance's upload inspection does:
the disk format recognised, the virtual size its header declares, and whether it is safe to
hand to a hypervisor (no backing file or external data file a guest could use to read the
host's files). Uploads of ``bare`` images whose content does not match their ``disk_format``
are refused with 415, as Glance refuses them with ``require_image_format_match``."""

import re
import struct
from dataclasses import dataclass

# The bytes inspected: the ISO 9660 / UDF volume descriptors start at 32 KiB, and a VMDK's
# embedded descriptor sits within its first few KiB.
INSPECT_BYTES = 64 << 10

# Formats whose content can be recognised; the others (ami, ari, aki, ploop) are taken as
# declared as long as their content is nothing recognisable.
INSPECTABLE = frozenset({"raw", "qcow2", "qed", "vmdk", "vhd", "vhdx", "vdi", "iso", "luks"})

QCOW2_MAGIC = b"QFI\xfb"
QED_MAGIC = b"QED\x00"
VMDK_MAGIC = b"KDMV"
VMDK_TEXT = b"# Disk DescriptorFile"
VHD_MAGIC = b"conectix"
VHDX_MAGIC = b"vhdxfile"
LUKS_MAGIC = b"LUKS\xba\xbe"
VDI_SIGNATURE = 0xBEDA107F
_ISO_IDS = (b"CD001", b"BEA01", b"NSR02", b"NSR03")
_ISO_AT = 0x8001

# qcow2 incompatible feature bits: dirty, corrupt, external data file, compression type,
# extended L2 entries. Any other bit is a feature nobody can vouch for.
_QCOW2_DATA_FILE = 1 << 2
_QCOW2_KNOWN_INCOMPATIBLE = 0b11111
_VMDK_SAFE_TYPES = ("monolithicSparse", "streamOptimized")


class FormatRejected(Exception):
    """The content is not what the image says it is, or is unsafe."""


@dataclass(frozen=True)
class Detected:
    name: str
    virtual_size: int | None
    unsafe: tuple[str, ...] = ()


def _u(fmt: str, data: bytes, at: int) -> int:
    return int(struct.unpack_from(fmt, data, at)[0])


def _qcow2(head: bytes) -> Detected:
    if len(head) < 72:
        return Detected("qcow2", None, ("qcow2 header is truncated",))
    version = _u(">I", head, 4)
    unsafe = []
    if version not in (2, 3):
        unsafe.append(f"qcow2 version {version} is not supported")
    if _u(">Q", head, 8):
        unsafe.append("qcow2 has a backing file")
    if version == 3 and len(head) >= 80:
        features = _u(">Q", head, 72)
        if features & _QCOW2_DATA_FILE:
            unsafe.append("qcow2 has an external data file")
        if features & ~_QCOW2_KNOWN_INCOMPATIBLE:
            unsafe.append("qcow2 has unknown incompatible features")
    return Detected("qcow2", _u(">Q", head, 24), tuple(unsafe))


def _vmdk_descriptor(text: str) -> tuple[str, ...]:
    create_type = re.search(r'^\s*createType\s*=\s*"([^"]*)"', text, re.MULTILINE)
    extents = re.findall(r"^\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+(\S+)", text, re.MULTILINE)
    unsafe = []
    if create_type is None or create_type.group(1) not in _VMDK_SAFE_TYPES:
        found = create_type.group(1) if create_type else "none"
        unsafe.append(f"vmdk createType {found} is not allowed")
    if len(extents) != 1 or extents[0] != "SPARSE":
        unsafe.append("vmdk must have exactly one sparse extent in the image itself")
    return tuple(unsafe)


def _vmdk(head: bytes) -> Detected:
    if len(head) < 44:
        return Detected("vmdk", None, ("vmdk header is truncated",))
    capacity = _u("<Q", head, 12) * 512
    start, length = _u("<Q", head, 28) * 512, _u("<Q", head, 36) * 512
    if not start or start + length > len(head):
        return Detected("vmdk", capacity, ("vmdk descriptor is missing or out of reach",))
    text = head[start : start + length].split(b"\0", 1)[0].decode("latin-1")
    return Detected("vmdk", capacity, _vmdk_descriptor(text))


def detect(head: bytes) -> list[Detected]:
    """Every format the first bytes match (none: the content is raw data)."""
    found = []
    if head.startswith(QCOW2_MAGIC):
        found.append(_qcow2(head))
    if head.startswith(QED_MAGIC):
        found.append(Detected("qed", None, ("qed images are not supported",)))
    if head.startswith(VMDK_MAGIC):
        found.append(_vmdk(head))
    if head.startswith(VMDK_TEXT):
        text = head.decode("latin-1")
        found.append(Detected("vmdk", None, _vmdk_descriptor(text) or ("vmdk descriptor only",)))
    if head.startswith(VHD_MAGIC) and len(head) >= 56:
        found.append(Detected("vhd", _u(">Q", head, 48)))
    if head.startswith(VHDX_MAGIC):
        found.append(Detected("vhdx", None))
    if head.startswith(LUKS_MAGIC):
        found.append(Detected("luks", None))
    if len(head) >= 0x178 and _u("<I", head, 0x40) == VDI_SIGNATURE:
        found.append(Detected("vdi", _u("<Q", head, 0x170)))
    if head[_ISO_AT : _ISO_AT + 5] in _ISO_IDS:
        found.append(Detected("iso", None))
    return found


def inspect(
    head: bytes,
    size: int,
    disk_format: str | None,
    container_format: str | None,
    *,
    require_match: bool = True,
) -> int | None:
    """The virtual size to record for uploaded content, or FormatRejected. Only ``bare``
    images are inspected (others wrap their disk in a container)."""
    if container_format != "bare":
        return None
    found = detect(head)
    if len(found) > 1:
        names = ", ".join(sorted(d.name for d in found))
        raise FormatRejected(f"Multiple formats detected: {names}")
    fmt = found[0] if found else Detected("raw", size)
    virtual: int | None = None
    if fmt.name == disk_format:
        virtual = size if fmt.name == "iso" else fmt.virtual_size
    elif disk_format == "raw":
        # A rich format declared raw is kept as raw bytes (a hypervisor will read it so).
        virtual = size
    elif (fmt.name != "raw" or disk_format in INSPECTABLE) and require_match:
        raise FormatRejected(
            f"Image disk_format {disk_format} does not match stream data {fmt.name}"
        )
    if fmt.unsafe:
        raise FormatRejected("Image failed safety checks: " + "; ".join(fmt.unsafe))
    return virtual
