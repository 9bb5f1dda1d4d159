"""Networking (Neutron v2.0): networks, segments, subnets, IPAM, ports, security groups,
routers, floating IPs, RBAC, quotas, behind a mechanism-driver interface."""
