"""Metadata definitions (Glance metadefs) over HTTP: namespaces and their objects,
properties, tags and resource-type associations."""


async def test_namespace_lifecycle(image_api):
    admin = image_api.admin
    types = (await admin.get("/v2/metadefs/resource_types")).json()["resource_types"]
    assert "OS::Glance::Image" in [t["name"] for t in types]
    r = await admin.post(
        "/v2/metadefs/namespaces",
        json={
            "namespace": "OS::Compute::Stratus",
            "display_name": "Stratus",
            "visibility": "public",
            "protected": True,
            "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["self"] == "/v2/metadefs/namespaces/OS::Compute::Stratus"
    dup = await admin.post("/v2/metadefs/namespaces", json={"namespace": "OS::Compute::Stratus"})
    assert dup.status_code == 409
    # Members read public namespaces; only admins write.
    listed = (await image_api.demo.get("/v2/metadefs/namespaces")).json()["namespaces"]
    assert [n["namespace"] for n in listed] == ["OS::Compute::Stratus"]
    assert (
        await image_api.demo.post("/v2/metadefs/namespaces", json={"namespace": "x"})
    ).status_code == 403
    url = "/v2/metadefs/namespaces/OS::Compute::Stratus"
    assert (await admin.delete(url)).status_code == 403
    r = await admin.put(
        url, json={"namespace": "OS::Compute::Stratus", "visibility": "private", "protected": False}
    )
    assert r.status_code == 200 and r.json()["visibility"] == "private"
    assert (await image_api.demo.get(url)).status_code == 404
    assert (await admin.delete(url)).status_code == 204
    assert (await admin.get(url)).status_code == 404


async def test_objects_properties_tags_associations(image_api):
    admin = image_api.admin
    await admin.post("/v2/metadefs/namespaces", json={"namespace": "ns1"})
    base = "/v2/metadefs/namespaces/ns1"
    r = await admin.post(
        f"{base}/objects", json={"name": "obj", "description": "d", "properties": {}}
    )
    assert r.status_code == 201 and r.json()["schema"] == "/v2/schemas/metadefs/object"
    r = await admin.put(f"{base}/objects/obj", json={"name": "obj2", "description": "e"})
    assert r.json()["name"] == "obj2"
    assert [o["name"] for o in (await admin.get(f"{base}/objects")).json()["objects"]] == ["obj2"]
    assert (await admin.delete(f"{base}/objects/obj2")).status_code == 204
    assert (await admin.get(f"{base}/objects/obj2")).status_code == 404
    r = await admin.post(
        f"{base}/properties",
        json={
            "name": "hypervisor",
            "title": "Hypervisor",
            "type": "string",
            "enum": ["kvm", "qemu"],
        },
    )
    assert r.status_code == 201 and r.json()["title"] == "Hypervisor"
    assert (
        await admin.post(f"{base}/properties", json={"name": "p", "title": "t"})
    ).status_code == 400
    props = (await admin.get(f"{base}/properties")).json()["properties"]
    assert props["hypervisor"]["enum"] == ["kvm", "qemu"]
    r = await admin.post(f"{base}/tags", json={"tags": [{"name": "a"}, {"name": "b"}]})
    assert r.status_code == 201
    assert (await admin.post(f"{base}/tags/c")).status_code == 201
    names = sorted(t["name"] for t in (await admin.get(f"{base}/tags")).json()["tags"])
    assert names == ["a", "b", "c"]
    r = await admin.put(f"{base}/tags/c", json={"name": "d"})
    assert r.json()["name"] == "d"
    assert (await admin.delete(f"{base}/tags")).status_code == 204
    assert (await admin.get(f"{base}/tags")).json()["tags"] == []
    r = await admin.post(f"{base}/resource_types", json={"name": "OS::Nova::Flavor"})
    assert r.status_code == 201
    assert (
        await admin.post(f"{base}/resource_types", json={"name": "OS::Nope"})
    ).status_code == 404
    assoc = (await admin.get(f"{base}/resource_types")).json()["resource_type_associations"]
    assert [a["name"] for a in assoc] == ["OS::Nova::Flavor"]
    assert (await admin.delete(f"{base}/resource_types/OS::Nova::Flavor")).status_code == 204


async def test_metadef_schemas(image_api):
    expected = {
        "namespace": "namespace",
        "namespaces": "namespaces",
        "resource_type": "resource_type_association",
        "resource_types": "resource_type_associations",
        "object": "object",
        "objects": "objects",
        "property": "property",
        "properties": "properties",
        "tag": "tag",
        "tags": "tags",
    }
    for path, name in expected.items():
        r = await image_api.demo.get(f"/v2/schemas/metadefs/{path}")
        assert r.status_code == 200
        assert r.json()["name"] == name
