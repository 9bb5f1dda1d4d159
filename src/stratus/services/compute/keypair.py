"""Key pairs: import (ssh-rsa, ssh-ed25519, ecdsa, x509) and generate, per user."""

import base64
import hashlib
import re

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.exc import IntegrityError

from stratus.db import Database
from stratus.kit.errors import Forbidden
from stratus.kit.timeutil import utcnow
from stratus.quota import QuotaEngine
from stratus.services.compute import repository as repo
from stratus.services.compute.errors import InvalidKeypair, KeyPairExists, KeyPairNotFound
from stratus.services.compute.models import KeyPair

_NAME_OLD = re.compile(r"^[a-zA-Z0-9 _-]+$")
_NAME_NEW = re.compile(r"^[a-zA-Z0-9 _@.-]+$")


def ssh_fingerprint(public_key: str) -> str:
    """MD5 of the key blob in colon-separated hex, as ``ssh-keygen -l -E md5``."""
    try:
        key = serialization.load_ssh_public_key(public_key.strip().encode())
        blob = key.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ).split()[1]
        digest = hashlib.md5(base64.b64decode(blob), usedforsecurity=False).hexdigest()
    except (ValueError, IndexError, TypeError, UnicodeError, UnsupportedAlgorithm):
        raise InvalidKeypair("Keypair data is invalid: failed to generate fingerprint") from None
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def x509_fingerprint(pem: str) -> str:
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise InvalidKeypair("Keypair data is invalid: failed to generate fingerprint") from None
    digest = cert.fingerprint(hashes.SHA1()).hex()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def generate_x509(common_name: str) -> tuple[str, str]:
    """A self-signed certificate and its key: (PEM certificate, PEM private key)."""
    import datetime as dt

    from cryptography.x509.oid import NameOID

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stratus"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(private, hashes.SHA256())
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem.decode()


def generate() -> tuple[str, str]:
    """A new RSA key: (OpenSSH public key, PEM private key)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return public.decode() + " Generated-by-Nova", pem.decode()


class KeyPairService:
    def __init__(self, db: Database, quota: QuotaEngine) -> None:
        self.db = db
        self.quota = quota

    async def create(
        self,
        *,
        user_id: str,
        project_id: str | None,
        name: str,
        public_key: str | None,
        key_type: str,
        allow_extended_names: bool,
    ) -> tuple[KeyPair, str | None]:
        pattern = _NAME_NEW if allow_extended_names else _NAME_OLD
        if not 1 <= len(name) <= 255 or not pattern.match(name):
            raise InvalidKeypair("Keypair data is invalid: Keypair name contains unsafe characters")
        private_key = None
        if public_key is None:
            if key_type == "x509":
                public_key, private_key = generate_x509(user_id)
            else:
                public_key, private_key = generate()
        fingerprint = (
            x509_fingerprint(public_key) if key_type == "x509" else ssh_fingerprint(public_key)
        )
        row = KeyPair(
            name=name,
            user_id=user_id,
            project_id=project_id,
            fingerprint=fingerprint,
            public_key=public_key,
            type=key_type,
            created_at=utcnow(),
        )
        try:
            async with self.db.session() as s:
                if project_id is not None:
                    limits = await self.quota.limits(s, project_id, "compute.key_pairs")
                    limit = limits.get("compute.key_pairs", -1)
                    if 0 <= limit <= await repo.count_keypairs(s, user_id):
                        raise Forbidden("Quota exceeded, too many key pairs.")
                if await repo.get_keypair(s, user_id, name):
                    raise KeyPairExists(name)
                s.add(row)
        except IntegrityError:
            raise KeyPairExists(name) from None
        return row, private_key

    async def get(self, user_id: str, name: str) -> KeyPair:
        async with self.db.reader() as s:
            row = await repo.get_keypair(s, user_id, name)
        if row is None:
            raise KeyPairNotFound(name, user_id)
        return row

    async def list_keypairs(
        self, user_id: str, *, limit: int | None, marker: str | None
    ) -> list[KeyPair]:
        async with self.db.reader() as s:
            if marker is not None and await repo.get_keypair(s, user_id, marker) is None:
                raise KeyPairNotFound(marker, user_id)
            return await repo.list_keypairs(s, user_id, limit=limit, marker=marker)

    async def delete(self, user_id: str, name: str) -> None:
        async with self.db.session() as s:
            row = await repo.get_keypair(s, user_id, name)
            if row is None:
                raise KeyPairNotFound(name, user_id)
            await s.delete(row)
