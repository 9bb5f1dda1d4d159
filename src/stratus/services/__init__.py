"""The OpenStack services, one package per service type."""
