"""Compute's block device mappings: which volumes a server has, on which device, and what
happens to them when the server goes (its own Alembic branch, ``compute_bdm``)."""
