"""Compute (Nova v2.1): flavors, keypairs, servers, simulated hosts."""
