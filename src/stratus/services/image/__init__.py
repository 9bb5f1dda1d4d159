"""Image service (Glance v2): images, their data, members, tags, import."""
