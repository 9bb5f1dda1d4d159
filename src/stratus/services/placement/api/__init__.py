"""Placement's HTTP layer: routing table, handlers, schemas, microversions."""
