"""Placement: resource providers, inventories, traits, aggregates, allocations, candidates."""
