"""feed series revisions kept per feed (token), not per center

Each feed shows a series differently (a participant's feed has no member count and only their own
dates), so its SEQUENCE is kept per feed. The old rows are dropped, not converted: they were keyed by
the old readable UIDs, which are now opaque, so no feed would match them again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _columns() -> list:
    return [sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('uid', sa.String(length=200), nullable=False),
            sa.Column('fingerprint', sa.String(length=64), nullable=False),
            sa.Column('sequence', sa.Integer(), nullable=False),
            sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False)]


def upgrade():
    with op.batch_alter_table('feed_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_series_center_id'))
    op.drop_table('feed_series')
    op.create_table('feed_series',
    *_columns(),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['feed_tokens.id'], name=op.f('fk_feed_series_token_id_feed_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_series')),
    sa.UniqueConstraint('token_id', 'uid', name=op.f('uq_feed_series_token_id_uid'))
    )
    with op.batch_alter_table('feed_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_series_token_id'), ['token_id'], unique=False)


def downgrade():
    with op.batch_alter_table('feed_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_series_token_id'))
    op.drop_table('feed_series')
    op.create_table('feed_series',
    *_columns(),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_feed_series_center_id_centers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_series')),
    sa.UniqueConstraint('center_id', 'uid', name=op.f('uq_feed_series_center_id_uid'))
    )
    with op.batch_alter_table('feed_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_series_center_id'), ['center_id'], unique=False)
