"""Block storage (Cinder v3)."""
