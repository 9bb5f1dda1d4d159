"""Metadata definitions (Glance metadefs): namespaces holding objects, properties, tags and
resource-type associations, which clients use to offer well-known image/flavor properties."""

from typing import Any

from stratus.api.context import RequestContext
from stratus.api.runtime import Runtime
from stratus.kit.errors import NotFound
from stratus.kit.timeutil import isotime_z, utcnow
from stratus.services.image import policies, repository
from stratus.services.image.errors import ImageConflict, ImageForbidden, ImageInvalid
from stratus.services.image.models import MetadefItem, MetadefNamespace
from stratus.services.image.repository import Viewer

KINDS = ("object", "property", "tag", "association")
NAMESPACE_FIELDS = ("namespace", "display_name", "description", "visibility", "protected", "owner")


class MetadefNotFound(NotFound):
    pass


def namespace_view(ns: MetadefNamespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "namespace": ns.namespace,
        "visibility": ns.visibility,
        "protected": ns.protected,
        "owner": ns.owner,
        "created_at": isotime_z(ns.created_at),
        "updated_at": isotime_z(ns.updated_at),
        "self": f"/v2/metadefs/namespaces/{ns.namespace}",
        "schema": "/v2/schemas/metadefs/namespace",
    }
    if ns.display_name is not None:
        out["display_name"] = ns.display_name
    if ns.description is not None:
        out["description"] = ns.description
    return out


def item_view(ns: MetadefNamespace, row: MetadefItem) -> dict[str, Any]:
    out = dict(row.body)
    out["name"] = row.name
    if row.kind == "property":
        return out
    out["created_at"] = isotime_z(row.created_at)
    out["updated_at"] = isotime_z(row.updated_at)
    if row.kind == "object":
        out["self"] = f"/v2/metadefs/namespaces/{ns.namespace}/objects/{row.name}"
        out["schema"] = "/v2/schemas/metadefs/object"
    return out


def _text(body: dict[str, Any], key: str, *, required: bool = False, limit: int = 255) -> Any:
    value = body.get(key)
    if value is None:
        if required:
            raise ImageInvalid(
                f"Provided object does not match schema: '{key}' is a required property"
            )
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ImageInvalid(f"Provided object does not match schema: invalid '{key}'")
    return value


class MetadefService:
    def __init__(self, runtime: Runtime) -> None:
        self.db = runtime.db

    @staticmethod
    def _viewer(ctx: RequestContext) -> Viewer:
        return Viewer(project_id=ctx.project_id, is_admin=ctx.is_admin)

    async def _ns(self, session: Any, ctx: RequestContext, name: str) -> MetadefNamespace:
        ns = await repository.namespace(session, name, self._viewer(ctx))
        if ns is None:
            raise MetadefNotFound(f"Metadata definition namespace={name} was not found.")
        return ns

    # -- namespaces ----------------------------------------------------------------------

    async def list_namespaces(
        self, ctx: RequestContext, *, visibility: str | None, resource_types: list[str]
    ) -> list[dict[str, Any]]:
        ctx.can(policies.GET_METADEF_NAMESPACES)
        async with self.db.reader() as session:
            rows = await repository.namespaces(session, self._viewer(ctx))
            if visibility:
                rows = [r for r in rows if r.visibility == visibility]
            assoc = await repository.items(session, [r.id for r in rows], "association")
            by_ns: dict[int, list[MetadefItem]] = {}
            for a in assoc:
                by_ns.setdefault(a.namespace_id, []).append(a)
            out = []
            for row in rows:
                names = [a.name for a in by_ns.get(row.id, [])]
                if resource_types and not set(resource_types) & set(names):
                    continue
                view = namespace_view(row)
                if names:
                    view["resource_type_associations"] = [
                        item_view(row, a) for a in by_ns.get(row.id, [])
                    ]
                out.append(view)
            return out

    async def create_namespace(self, ctx: RequestContext, body: Any) -> dict[str, Any]:
        ctx.can(policies.ADD_METADEF_NAMESPACE)
        if not isinstance(body, dict):
            raise ImageInvalid("Body expected in request.")
        name = _text(body, "namespace", required=True, limit=80)
        visibility = body.get("visibility", "private")
        if visibility not in ("public", "private"):
            raise ImageInvalid(f"Invalid visibility value: {visibility}")
        protected = body.get("protected", False)
        if not isinstance(protected, bool):
            raise ImageInvalid(
                "Provided object does not match schema: 'protected' is not a boolean"
            )
        now = utcnow()
        async with self.db.session() as session:
            if await repository.namespace(session, name) is not None:
                raise ImageConflict(f"Metadata definition namespace={name} already exists.")
            ns = MetadefNamespace(
                namespace=name,
                display_name=_text(body, "display_name", limit=80),
                description=_text(body, "description", limit=500),
                visibility=visibility,
                protected=protected,
                owner=body.get("owner") or ctx.project_id,
                created_at=now,
                updated_at=now,
            )
            await repository.add_metadef(session, ns)
            for assoc in body.get("resource_type_associations") or []:
                await self._associate(session, ns, assoc)
            for prop_name, prop in (body.get("properties") or {}).items():
                await self._put_item(session, ns, "property", {**prop, "name": prop_name})
            for obj in body.get("objects") or []:
                await self._put_item(session, ns, "object", obj)
            for tag in body.get("tags") or []:
                await self._put_item(session, ns, "tag", tag)
            return await self._namespace_doc(session, ns)

    async def _namespace_doc(self, session: Any, ns: MetadefNamespace) -> dict[str, Any]:
        view = namespace_view(ns)
        assoc = await repository.items(session, [ns.id], "association")
        if assoc:
            view["resource_type_associations"] = [item_view(ns, a) for a in assoc]
        props = await repository.items(session, [ns.id], "property")
        if props:
            view["properties"] = {p.name: item_view(ns, p) for p in props}
        objects = await repository.items(session, [ns.id], "object")
        if objects:
            view["objects"] = [item_view(ns, o) for o in objects]
        tags = await repository.items(session, [ns.id], "tag")
        if tags:
            view["tags"] = [{"name": t.name} for t in tags]
        return view

    async def get_namespace(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        ctx.can(policies.GET_METADEF_NAMESPACE)
        async with self.db.reader() as session:
            return await self._namespace_doc(session, await self._ns(session, ctx, name))

    async def update_namespace(self, ctx: RequestContext, name: str, body: Any) -> dict[str, Any]:
        ctx.can(policies.MODIFY_METADEF_NAMESPACE)
        if not isinstance(body, dict):
            raise ImageInvalid("Body expected in request.")
        async with self.db.session() as session:
            ns = await self._ns(session, ctx, name)
            new_name = _text(body, "namespace", required=True, limit=80)
            if new_name != ns.namespace and await repository.namespace(session, new_name):
                raise ImageConflict(f"Metadata definition namespace={new_name} already exists.")
            visibility = body.get("visibility", ns.visibility)
            if visibility not in ("public", "private"):
                raise ImageInvalid(f"Invalid visibility value: {visibility}")
            protected = body.get("protected", ns.protected)
            if not isinstance(protected, bool):
                raise ImageInvalid("'protected' is not a boolean")
            ns.namespace = new_name
            ns.display_name = _text(body, "display_name", limit=80)
            ns.description = _text(body, "description", limit=500)
            ns.visibility = visibility
            ns.protected = protected
            ns.updated_at = utcnow()
            await session.flush()
            return namespace_view(ns)

    async def delete_namespace(self, ctx: RequestContext, name: str) -> None:
        ctx.can(policies.DELETE_METADEF_NAMESPACE)
        async with self.db.session() as session:
            ns = await self._ns(session, ctx, name)
            if ns.protected:
                raise ImageForbidden(
                    f"Metadata definition namespace {name} is protected and cannot be deleted."
                )
            await repository.remove_items(session, ns.id, None)
            await session.delete(ns)

    # -- items (objects, properties, tags, associations) ---------------------------------

    async def _put_item(
        self,
        session: Any,
        ns: MetadefNamespace,
        kind: str,
        body: Any,
        *,
        replace: str | None = None,
    ) -> MetadefItem:
        if not isinstance(body, dict):
            raise ImageInvalid("Body expected in request.")
        name = _text(body, "name", required=True)
        now = utcnow()
        existing = await repository.item(session, ns.id, kind, replace or name)
        if replace is None and existing is not None:
            raise ImageConflict(f"A metadata definition {kind} with name={name} already exists.")
        if replace is not None and existing is None:
            raise MetadefNotFound(f"Metadata definition {kind}={replace} not found.")
        if (
            replace is not None
            and name != replace
            and await repository.item(session, ns.id, kind, name)
        ):
            raise ImageConflict(f"A metadata definition {kind} with name={name} already exists.")
        created = existing.created_at if existing is not None else now
        if existing is not None:
            await session.delete(existing)
            await session.flush()
        keep = {
            k: v
            for k, v in body.items()
            if k not in ("name", "created_at", "updated_at", "self", "schema")
        }
        if kind == "property" and "type" not in keep:
            raise ImageInvalid(
                "Provided object does not match schema 'property': 'type' is a required property"
            )
        row = MetadefItem(
            namespace_id=ns.id, kind=kind, name=name, body=keep, created_at=created, updated_at=now
        )
        await repository.add_metadef(session, row)
        ns.updated_at = now
        return row

    async def list_items(
        self, ctx: RequestContext, name: str, kind: str
    ) -> tuple[MetadefNamespace, list[MetadefItem]]:
        ctx.can(_READ[kind])
        async with self.db.reader() as session:
            ns = await self._ns(session, ctx, name)
            return ns, await repository.items(session, [ns.id], kind)

    async def get_item(
        self, ctx: RequestContext, name: str, kind: str, item: str
    ) -> dict[str, Any]:
        ctx.can(_READ[kind])
        async with self.db.reader() as session:
            ns = await self._ns(session, ctx, name)
            row = await repository.item(session, ns.id, kind, item)
            if row is None:
                raise MetadefNotFound(f"Metadata definition {kind}={item} not found.")
            return item_view(ns, row)

    async def create_item(
        self, ctx: RequestContext, name: str, kind: str, body: Any
    ) -> dict[str, Any]:
        ctx.can(_WRITE[kind])
        async with self.db.session() as session:
            ns = await self._ns(session, ctx, name)
            if kind == "association":
                row = await self._associate(session, ns, body)
            else:
                row = await self._put_item(session, ns, kind, body)
            return item_view(ns, row)

    async def update_item(
        self, ctx: RequestContext, name: str, kind: str, item: str, body: Any
    ) -> dict[str, Any]:
        ctx.can(_WRITE[kind])
        async with self.db.session() as session:
            ns = await self._ns(session, ctx, name)
            row = await self._put_item(session, ns, kind, body, replace=item)
            return item_view(ns, row)

    async def delete_item(self, ctx: RequestContext, name: str, kind: str, item: str) -> None:
        ctx.can(_DELETE[kind])
        async with self.db.session() as session:
            ns = await self._ns(session, ctx, name)
            row = await repository.item(session, ns.id, kind, item)
            if row is None:
                raise MetadefNotFound(f"Metadata definition {kind}={item} not found.")
            await session.delete(row)

    async def delete_all(self, ctx: RequestContext, name: str, kind: str) -> None:
        ctx.can(_DELETE[kind])
        async with self.db.session() as session:
            ns = await self._ns(session, ctx, name)
            if ns.protected:
                raise ImageForbidden(f"Metadata definition namespace {name} is protected.")
            await repository.remove_items(session, ns.id, kind)

    async def create_tags(
        self, ctx: RequestContext, name: str, body: Any, *, append: bool
    ) -> list[dict[str, Any]]:
        ctx.can(policies.ADD_METADEF_TAGS)
        tags = body.get("tags") if isinstance(body, dict) else None
        if not isinstance(tags, list):
            raise ImageInvalid("Provided object does not match schema 'tags': 'tags' is required")
        names = [t.get("name") if isinstance(t, dict) else None for t in tags]
        if len(set(names)) != len(names):
            raise ImageConflict("A metadata tag name is duplicated in the request.")
        async with self.db.session() as session:
            ns = await self._ns(session, ctx, name)
            if not append:
                await repository.remove_items(session, ns.id, "tag")
            rows = [await self._put_item(session, ns, "tag", t) for t in tags]
            return [item_view(ns, r) for r in rows]

    async def _associate(self, session: Any, ns: MetadefNamespace, body: Any) -> MetadefItem:
        if not isinstance(body, dict):
            raise ImageInvalid("Body expected in request.")
        rtype = _text(body, "name", required=True, limit=80)
        if await repository.resource_type(session, rtype) is None:
            raise MetadefNotFound(f"Metadata definition resource-type={rtype} not found.")
        return await self._put_item(
            session,
            ns,
            "association",
            {
                k: body[k]
                for k in ("name", "prefix", "properties_target")
                if body.get(k) is not None
            },
        )

    async def list_resource_types(self, ctx: RequestContext) -> list[dict[str, Any]]:
        ctx.can(policies.LIST_METADEF_RESOURCE_TYPES)
        async with self.db.reader() as session:
            return [
                {
                    "name": r.name,
                    "created_at": isotime_z(r.created_at),
                    "updated_at": isotime_z(r.updated_at),
                }
                for r in await repository.resource_types(session)
            ]


_READ = {
    "object": policies.GET_METADEF_OBJECTS,
    "property": policies.GET_METADEF_PROPERTIES,
    "tag": policies.GET_METADEF_TAGS,
    "association": policies.GET_METADEF_RESOURCE_TYPE,
}
_WRITE = {
    "object": policies.ADD_METADEF_OBJECT,
    "property": policies.ADD_METADEF_PROPERTY,
    "tag": policies.ADD_METADEF_TAG,
    "association": policies.ADD_METADEF_RESOURCE_TYPE_ASSOCIATION,
}
_DELETE = {
    "object": policies.DELETE_METADEF_OBJECT,
    "property": policies.REMOVE_METADEF_PROPERTY,
    "tag": policies.DELETE_METADEF_TAG,
    "association": policies.REMOVE_METADEF_RESOURCE_TYPE_ASSOCIATION,
}
