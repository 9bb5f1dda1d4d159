"""Compute drivers: the protocol and the simulated (fake) hosts."""
