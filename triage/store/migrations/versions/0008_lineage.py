"""remix lineage: pieces found inside other pieces, and the platform's own assets

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reuse_matches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_sha', sa.String(length=64), nullable=False),
    sa.Column('user_sha', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('source_unit', sa.String(length=8), nullable=False),
    sa.Column('source_start', sa.Float(), nullable=False),
    sa.Column('source_end', sa.Float(), nullable=False),
    sa.Column('user_start', sa.Float(), nullable=False),
    sa.Column('user_end', sa.Float(), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_sha'], ['contents.sha256'], ),
    sa.ForeignKeyConstraint(['user_sha'], ['contents.sha256'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reuse_matches', schema=None) as batch_op:
        batch_op.create_index('ix_reuse_source', ['source_sha'], unique=False)
        batch_op.create_index('ix_reuse_user', ['user_sha'], unique=False)
    op.create_table('platform_assets',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('marked_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['contents.sha256'], ),
    sa.PrimaryKeyConstraint('sha256')
    )


def downgrade() -> None:
    op.drop_table('platform_assets')
    with op.batch_alter_table('reuse_matches', schema=None) as batch_op:
        batch_op.drop_index('ix_reuse_user')
        batch_op.drop_index('ix_reuse_source')
    op.drop_table('reuse_matches')
