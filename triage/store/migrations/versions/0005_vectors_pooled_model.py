"""vectors by kind, space and model: count the contents each model embedded without reading the vectors

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vectors', schema=None) as batch_op:
        batch_op.create_index('ix_vectors_pooled_model', ['kind', 'space', 'model', 'sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vectors', schema=None) as batch_op:
        batch_op.drop_index('ix_vectors_pooled_model')
