"""HTTP layer of the image service."""
