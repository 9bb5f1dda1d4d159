"""Developer tool: autogenerate the first/next Alembic revision of one component.

Usage: .venv/bin/python scripts/autogen_migration.py PACKAGE REV_ID BRANCH MIGRATIONS_DIR [TABLE_PREFIX] [MESSAGE]
"""

import importlib
import sys

from alembic import command
from sqlalchemy import create_engine

from stratus.db.migrate import alembic_config

pkg, rev, label, path = sys.argv[1:5]
prefix = sys.argv[5] if len(sys.argv) > 5 else label + "_"
first = rev.endswith("0001")
importlib.import_module(pkg + ".models")
eng = create_engine("sqlite:////tmp/gen_mig.sqlite")
cfg = alembic_config("sqlite:////tmp/gen_mig.sqlite")
with eng.begin() as conn:
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "heads")
with eng.begin() as conn:
    cfg.attributes["connection"] = conn
    cfg.attributes["table_prefix"] = prefix
    command.revision(
        cfg,
        message=sys.argv[6] if len(sys.argv) > 6 else f"{label} schema",
        autogenerate=True,
        head="base" if first else f"{label}@head",
        branch_label=label if first else None,
        version_path=path,
        rev_id=rev,
    )
