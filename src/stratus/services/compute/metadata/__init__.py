"""The metadata service (nova-api-metadata) and config drives: what a guest learns about itself."""
