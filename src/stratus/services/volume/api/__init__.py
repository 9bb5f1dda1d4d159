"""Block storage API handlers."""
