"""signature indexes: the pool signature every shortlist and search reads, from indexes instead of table scans

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_ready_mark', ['status', 'callout_id', 'updated_at'], unique=False)
    with op.batch_alter_table('contents', schema=None) as batch_op:
        batch_op.create_index('ix_contents_updated', ['updated_at'], unique=False)
    with op.batch_alter_table('vectors', schema=None) as batch_op:
        batch_op.create_index('ix_vectors_ordinal', ['ordinal'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vectors', schema=None) as batch_op:
        batch_op.drop_index('ix_vectors_ordinal')
    with op.batch_alter_table('contents', schema=None) as batch_op:
        batch_op.drop_index('ix_contents_updated')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_ready_mark')
