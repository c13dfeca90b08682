"""emails sent together (a publish's notices, invitations to every facilitator) are delivered in the background

``mail_batches`` counts how far a batch has got; each of its ``outbox_messages`` names it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('center_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_mail_batches_center_id_centers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_batches')),
    )
    with op.batch_alter_table('mail_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_batches_center_id'), ['center_id'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_batch_id'), ['batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_batch_id_mail_batches'), 'mail_batches',
                                    ['batch_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_batch_id_mail_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_batch_id'))
        batch_op.drop_column('batch_id')
    with op.batch_alter_table('mail_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_batches_center_id'))
    op.drop_table('mail_batches')
