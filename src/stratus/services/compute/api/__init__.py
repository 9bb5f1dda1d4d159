"""Compute API: routes, schemas, microversions."""
