"""reminders (opt-in and what was sent) and outcomes (check-in answers, meeting ratings, per-activity switch)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('activity_outcomes',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('ask_rating', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_outcomes_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_activity_outcomes_center_id_centers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', name=op.f('pk_activity_outcomes'))
    )
    with op.batch_alter_table('activity_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_outcomes_center_id'), ['center_id'], unique=False)

    op.create_table('reminder_choices',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('by_email', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('by_sms', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('phone', sa.String(length=32), server_default='', nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_reminder_choices_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_reminder_choices_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', name=op.f('pk_reminder_choices'))
    )
    with op.batch_alter_table('reminder_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_choices_center_id'), ['center_id'], unique=False)

    op.create_table('meeting_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('activity_code', sa.String(length=64), nullable=False),
    sa.Column('group_code', sa.String(length=64), nullable=False),
    sa.Column('slot_code', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating >= 0 AND rating <= 10', name=op.f('ck_meeting_ratings_rating_0_to_10')),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_meeting_ratings_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_meeting_ratings_participant_id_participants'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['schedule_versions.id'], name=op.f('fk_meeting_ratings_version_id_schedule_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_ratings')),
    sa.UniqueConstraint('participant_id', 'group_code', 'slot_code', 'date', name='uq_meeting_ratings_once')
    )
    with op.batch_alter_table('meeting_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_ratings_center_id'), ['center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_ratings_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_ratings_version_id'), ['version_id'], unique=False)

    op.create_table('outcome_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('activity_code', sa.String(length=64), nullable=False),
    sa.Column('phase', sa.Enum('before', 'after', name='check_in_phase', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('worthwhile', sa.Integer(), nullable=False),
    sa.Column('happy', sa.Integer(), nullable=False),
    sa.Column('anxious', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('anxious >= 0 AND anxious <= 10', name=op.f('ck_outcome_answers_anxious_0_to_10')),
    sa.CheckConstraint('happy >= 0 AND happy <= 10', name=op.f('ck_outcome_answers_happy_0_to_10')),
    sa.CheckConstraint('satisfied >= 0 AND satisfied <= 10', name=op.f('ck_outcome_answers_satisfied_0_to_10')),
    sa.CheckConstraint('worthwhile >= 0 AND worthwhile <= 10', name=op.f('ck_outcome_answers_worthwhile_0_to_10')),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_outcome_answers_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_outcome_answers_participant_id_participants'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['schedule_versions.id'], name=op.f('fk_outcome_answers_version_id_schedule_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_answers')),
    sa.UniqueConstraint('participant_id', 'version_id', 'activity_code', 'phase', name='uq_outcome_answers_once')
    )
    with op.batch_alter_table('outcome_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_answers_center_id'), ['center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_answers_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_answers_version_id'), ['version_id'], unique=False)

    op.create_table('reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('group_code', sa.String(length=64), nullable=False),
    sa.Column('slot_code', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('channel', sa.Enum('email', 'sms', name='reminder_channel', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_reminders_sent_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_reminders_sent_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['schedule_versions.id'], name=op.f('fk_reminders_sent_version_id_schedule_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
    sa.UniqueConstraint('participant_id', 'group_code', 'slot_code', 'date', 'channel', name='uq_reminders_sent_once')
    )
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_sent_center_id'), ['center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_sent_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_sent_version_id'), ['version_id'], unique=False)




def downgrade():

    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_sent_version_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_sent_participant_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_sent_center_id'))

    op.drop_table('reminders_sent')
    with op.batch_alter_table('outcome_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_answers_version_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_answers_participant_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_answers_center_id'))

    op.drop_table('outcome_answers')
    with op.batch_alter_table('meeting_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_ratings_version_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_ratings_participant_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_ratings_center_id'))

    op.drop_table('meeting_ratings')
    with op.batch_alter_table('reminder_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_choices_center_id'))

    op.drop_table('reminder_choices')
    with op.batch_alter_table('activity_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_outcomes_center_id'))

    op.drop_table('activity_outcomes')

