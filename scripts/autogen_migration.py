"""Developer tool: autogenerate the first/next Alembic revision of one component.

Usage: .venv/bin/python scripts/autogen_migration.py stratus.services.X X_0001 X src/stratus/services/X/migrations
"""
import sys, importlib
from alembic import command
from sqlalchemy import create_engine
from stratus.db.migrate import alembic_config
pkg, rev, label, path = sys.argv[1:5]
importlib.import_module(pkg + ".models")
eng = create_engine("sqlite:////tmp/gen_mig.sqlite")
cfg = alembic_config("sqlite:////tmp/gen_mig.sqlite")
with eng.begin() as conn:
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "heads")
with eng.begin() as conn:
    cfg.attributes["connection"] = conn
    command.revision(cfg, message=f"{label} initial schema", autogenerate=True, head="base",
                     branch_label=label, version_path=path, rev_id=rev)
