"""pool artifacts index: the newest artifact a pool depends on, leaving out lineage's fingerprint files

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The same text as triage.store.schema.POOL_ARTIFACTS when this revision was written (a migration does not follow
# later changes of the schema module).
POOL_ARTIFACTS = "kind NOT IN ('lineage_peaks', 'lineage_frames')"


def upgrade() -> None:
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.create_index('ix_artifacts_pool_newest', ['id'], unique=False,
                              sqlite_where=sa.text(POOL_ARTIFACTS), postgresql_where=sa.text(POOL_ARTIFACTS))


def downgrade() -> None:
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.drop_index('ix_artifacts_pool_newest')
