"""The conformance harness: Tempest, the interop lists, RA1's cases and Rally against Stratus."""
