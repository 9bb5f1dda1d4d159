"""HTTP layer of the object storage service."""
