"""solve_jobs.best_schedule: the best schedule in hand while a build runs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('solve_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('best_schedule', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('solve_jobs', schema=None) as batch_op:
        batch_op.drop_column('best_schedule')
