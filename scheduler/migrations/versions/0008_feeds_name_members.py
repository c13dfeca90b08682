"""center option: facilitators' calendars name their members by first name

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('centers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feeds_name_members', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('centers', schema=None) as batch_op:
        batch_op.drop_column('feeds_name_members')
