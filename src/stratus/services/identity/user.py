"""Users, groups, memberships, passwords and the security-compliance rules around them."""

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stratus.conf import IdentitySettings
from stratus.kit.ids import hex_id
from stratus.kit.timeutil import utcnow
from stratus.services.identity import repository as repo
from stratus.services.identity.errors import (
    AuthFailed,
    BadRequest,
    PasswordRejected,
    conflict,
    not_found,
)
from stratus.services.identity.models import Group, Membership, Password, User
from stratus.services.identity.password import check_password, hash_password, validate_strength
from stratus.services.identity.revoke import Revoker

# User options Keystone accepts (and validates as booleans / lists).
USER_OPTIONS = {
    "ignore_change_password_upon_first_use": bool,
    "ignore_password_expiry": bool,
    "ignore_lockout_failure_attempts": bool,
    "lock_password": bool,
    "multi_factor_auth_enabled": bool,
    "multi_factor_auth_rules": list,
    "ignore_user_inactivity": bool,
}


class Users:
    def __init__(self, conf: IdentitySettings, revoker: Revoker) -> None:
        self.conf = conf
        self.revoker = revoker

    @property
    def rules(self) -> Any:
        return self.conf.security_compliance

    async def get(self, s: AsyncSession, user_id: str) -> User:
        row = await repo.get(s, User, user_id)
        if row is None:
            raise not_found("user", user_id)
        return row

    async def by_name(self, s: AsyncSession, name: str, domain_id: str) -> User:
        row = await repo.find_one(s, User, name=name, domain_id=domain_id)
        if row is None:
            raise not_found("user", name)
        return row

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        for key, value in options.items():
            kind = USER_OPTIONS.get(key)
            if kind is None:
                raise BadRequest(f"Invalid input for field 'options': unknown option {key}.")
            if value is not None and not isinstance(value, kind):
                raise BadRequest(f"Invalid input for field 'options.{key}': wrong type.")
        return options

    def password_expiry(self, user: User | None, now: dt.datetime) -> dt.datetime | None:
        days = self.rules.password_expires_days
        if not days or (user is not None and (user.options or {}).get("ignore_password_expiry")):
            return None
        return now + dt.timedelta(days=days)

    async def _store_password(
        self,
        s: AsyncSession,
        user: User,
        password: str,
        *,
        self_service: bool,
        hashed: str | None = None,
    ) -> None:
        validate_strength(password, self.rules, self.conf.max_password_length)
        now = utcnow()
        history = await repo.passwords(s, user.id)
        unique = self.rules.unique_last_password_count
        if unique > 1 and self_service:
            for old in history[:unique]:
                if await check_password(password, old.hash):
                    raise PasswordRejected(
                        "Password validation error: The new password cannot be identical to a "
                        f"previous password. The total number which includes the new password "
                        f"must be unique is {unique}."
                    )
        expires = self.password_expiry(user, now)
        if (
            self.rules.change_password_upon_first_use
            and not self_service
            and not (user.options or {}).get("ignore_change_password_upon_first_use")
        ):
            expires = now  # must be changed before it can be used
        for old in history:
            if old.expires_at is None or old.expires_at > now:
                old.expires_at = now
        s.add(
            Password(
                user_id=user.id,
                hash=hashed or await hash_password(password, self.conf.password_hash_rounds),
                created_at=now,
                expires_at=expires,
                self_service=self_service,
            )
        )
        await s.flush()
        await repo.trim_passwords(s, user.id, max(unique, 1))

    async def create(self, s: AsyncSession, fields: dict[str, Any]) -> User:
        domain_id = fields["domain_id"]
        if await repo.find_one(s, User, name=fields["name"], domain_id=domain_id):
            raise conflict(
                "user", f"Duplicate entry found with name {fields['name']} at domain ID {domain_id}"
            )
        row = User(
            id=hex_id(),
            name=fields["name"],
            domain_id=domain_id,
            enabled=fields.get("enabled", True),
            default_project_id=fields.get("default_project_id"),
            description=fields.get("description"),
            email=fields.get("email"),
            extra=fields.get("extra", {}),
            options=self._options(fields.get("options") or {}),
            created_at=utcnow(),
            failed_auth_count=0,
        )
        await repo.add(s, row)
        if fields.get("password") is not None:
            await self._store_password(
                s, row, fields["password"], self_service=False, hashed=fields.get("password_hash")
            )
        return row

    async def hash(self, password: str) -> str:
        """Hash ahead of time (bootstrap hashes its two passwords in parallel)."""
        return await hash_password(password, self.conf.password_hash_rounds)

    async def update(self, s: AsyncSession, user_id: str, fields: dict[str, Any]) -> User:
        row = await self.get(s, user_id)
        if "name" in fields and fields["name"] != row.name:
            if await repo.find_one(s, User, name=fields["name"], domain_id=row.domain_id):
                raise conflict("user", f"Duplicate entry found with name {fields['name']}")
            row.name = fields["name"]
        if "domain_id" in fields and fields["domain_id"] != row.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        for attr in ("description", "email", "default_project_id"):
            if attr in fields:
                setattr(row, attr, fields[attr])
        if "options" in fields:
            merged = {**(row.options or {}), **self._options(fields["options"] or {})}
            row.options = {k: v for k, v in merged.items() if v is not None}
        if "enabled" in fields:
            if row.enabled and not fields["enabled"]:
                await self.revoker.revoke(s, user_id=user_id)
            if fields["enabled"] and not row.enabled:
                row.failed_auth_count = 0
                row.failed_auth_at = None
            row.enabled = fields["enabled"]
        if fields.get("password") is not None:
            await self._store_password(s, row, fields["password"], self_service=False)
            await self.revoker.revoke(s, user_id=user_id)
        row.extra = {**(row.extra or {}), **fields.get("extra", {})}
        await s.flush()
        return row

    async def change_own_password(
        self, s: AsyncSession, user_id: str, original: str, new: str
    ) -> None:
        row = await self.get(s, user_id)
        await self.verify_password(s, row, original, allow_expired=True)
        await self._set_password_checked(s, row, new)

    async def _set_password_checked(self, s: AsyncSession, row: User, new: str) -> None:
        user_id = row.id
        if (row.options or {}).get("lock_password"):
            raise AuthFailed("You are not allowed to change your password.")
        min_age = self.rules.minimum_password_age
        current = (await repo.passwords(s, user_id))[:1]
        if (
            min_age
            and current
            and current[0].self_service
            and current[0].created_at + dt.timedelta(days=min_age) > utcnow()
        ):
            raise PasswordRejected(
                "Password validation error: You cannot change your password at this time "
                f"due to the minimum password age. Once you change your password, it must be "
                f"used for {min_age} day(s) before it can be changed."
            )
        await self._store_password(s, row, new, self_service=True)
        await self.revoker.revoke(s, user_id=user_id)

    async def record_failure(self, s: AsyncSession, user_id: str) -> None:
        user = await repo.get(s, User, user_id)
        if user is not None:
            now = utcnow()
            window = dt.timedelta(seconds=self.rules.lockout_duration)
            if user.failed_auth_at is not None and user.failed_auth_at + window <= now:
                user.failed_auth_count = 0  # the earlier lockout has expired
            user.failed_auth_count = (user.failed_auth_count or 0) + 1
            user.failed_auth_at = now

    async def current_password(self, s: AsyncSession, user_id: str) -> Password | None:
        history = await repo.passwords(s, user_id)
        return history[0] if history else None

    async def verify_password(
        self, s: AsyncSession, user: User, password: str, *, allow_expired: bool = False
    ) -> None:
        """Check a password with lockout. Every failure is the same 401 to the caller."""
        now = utcnow()
        opts = user.options or {}
        attempts = self.rules.lockout_failure_attempts
        if (
            attempts
            and not opts.get("ignore_lockout_failure_attempts")
            and user.failed_auth_count >= attempts
            and user.failed_auth_at is not None
        ) and user.failed_auth_at + dt.timedelta(seconds=self.rules.lockout_duration) > now:
            raise AuthFailed(f"The account is locked for user: {user.id}.")
        current = await self.current_password(s, user.id)
        ok = current is not None and await check_password(password, current.hash)
        if not ok:
            # The caller's transaction rolls back; record_failure() persists the count.
            err = AuthFailed("The request you have made requires authentication.")
            err.failed_user_id = user.id
            raise err
        assert current is not None
        if (
            not allow_expired
            and current.expires_at is not None
            and current.expires_at <= now
            and not opts.get("ignore_password_expiry")
        ):
            raise AuthFailed(
                f"The password is expired and needs to be changed for user: {user.id}."
            )

    def needs_success_record(self, user: User) -> bool:
        return bool(user.failed_auth_count) or bool(self.rules.disable_user_account_days_inactive)

    async def record_success(self, s: AsyncSession, user_id: str) -> None:
        """After a good password: clear the failure count, note activity (when tracked)."""
        user = await repo.get(s, User, user_id)
        if user is not None:
            user.failed_auth_count = 0
            user.failed_auth_at = None
            if self.rules.disable_user_account_days_inactive:
                user.last_active_at = utcnow()

    # -- groups ----------------------------------------------------------------------------

    async def get_group(self, s: AsyncSession, group_id: str) -> Group:
        row = await repo.get(s, Group, group_id)
        if row is None:
            raise not_found("group", group_id)
        return row

    async def create_group(self, s: AsyncSession, fields: dict[str, Any]) -> Group:
        if await repo.find_one(s, Group, name=fields["name"], domain_id=fields["domain_id"]):
            raise conflict("group", f"Duplicate entry found with name {fields['name']}")
        row = Group(
            id=hex_id(),
            name=fields["name"],
            domain_id=fields["domain_id"],
            description=fields.get("description"),
            extra=fields.get("extra", {}),
        )
        await repo.add(s, row)
        return row

    async def update_group(self, s: AsyncSession, group_id: str, fields: dict[str, Any]) -> Group:
        row = await self.get_group(s, group_id)
        if "domain_id" in fields and fields["domain_id"] != row.domain_id:
            raise BadRequest("Update of `domain_id` is not allowed.")
        if "name" in fields and fields["name"] != row.name:
            if await repo.find_one(s, Group, name=fields["name"], domain_id=row.domain_id):
                raise conflict("group", f"Duplicate entry found with name {fields['name']}")
            row.name = fields["name"]
        if "description" in fields:
            row.description = fields["description"]
        await s.flush()
        return row

    async def add_member(self, s: AsyncSession, group_id: str, user_id: str) -> None:
        await self.get_group(s, group_id)
        await self.get(s, user_id)
        if await repo.get(s, Membership, (user_id, group_id)) is None:
            await repo.add(s, Membership(user_id=user_id, group_id=group_id))

    async def remove_member(self, s: AsyncSession, group_id: str, user_id: str) -> None:
        await self.get_group(s, group_id)
        await self.get(s, user_id)
        row = await repo.get(s, Membership, (user_id, group_id))
        if row is None:
            raise not_found("user", f"{user_id} in group {group_id}")
        await repo.remove(s, row)
        await self.revoker.revoke(s, user_id=user_id)

    async def check_member(self, s: AsyncSession, group_id: str, user_id: str) -> None:
        await self.get_group(s, group_id)
        await self.get(s, user_id)
        if await repo.get(s, Membership, (user_id, group_id)) is None:
            raise not_found("user", f"{user_id} in group {group_id}")
