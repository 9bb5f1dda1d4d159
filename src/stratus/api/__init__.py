"""Shared HTTP machinery: app assembly, context, policy, microversions, errors, paging."""
