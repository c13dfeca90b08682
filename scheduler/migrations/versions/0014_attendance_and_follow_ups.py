"""attendance marks and anonymous tallies, follow-ups of people at risk, monitoring settings per center

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('monitoring_settings',
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('no_shows_in_a_row', sa.Integer(), nullable=False),
    sa.Column('window_meetings', sa.Integer(), nullable=False),
    sa.Column('min_attendance_percent', sa.Integer(), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=True),
    sa.CheckConstraint('min_attendance_percent BETWEEN 0 AND 100', name=op.f('ck_monitoring_settings_min_attendance_percent_range')),
    sa.CheckConstraint('no_shows_in_a_row >= 1', name=op.f('ck_monitoring_settings_no_shows_in_a_row_positive')),
    sa.CheckConstraint('retention_days IS NULL OR retention_days >= 1', name=op.f('ck_monitoring_settings_retention_days_positive')),
    sa.CheckConstraint('window_meetings >= 1', name=op.f('ck_monitoring_settings_window_meetings_positive')),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_monitoring_settings_center_id_centers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('center_id', name=op.f('pk_monitoring_settings'))
    )
    op.create_table('attendance_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('group_code', sa.String(length=64), nullable=False),
    sa.Column('slot_code', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('participant_code', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('present', 'excused', 'no_show', 'late_cancel', name='attendance_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('left_early', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("NOT left_early OR status = 'present'", name=op.f('ck_attendance_marks_left_early_only_if_present')),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_attendance_marks_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_attendance_marks_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['schedule_versions.id'], name=op.f('fk_attendance_marks_version_id_schedule_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_marks')),
    sa.UniqueConstraint('version_id', 'group_code', 'slot_code', 'date', 'participant_code', name=op.f('uq_attendance_marks_version_id_group_code_slot_code_date_participant_code'))
    )
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_marks_center_id'), ['center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_marks_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_marks_participant_code'), ['participant_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_marks_version_id'), ['version_id'], unique=False)

    op.create_table('attendance_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('group_code', sa.String(length=64), nullable=False),
    sa.Column('slot_code', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('excused', sa.Integer(), nullable=False),
    sa.Column('no_show', sa.Integer(), nullable=False),
    sa.Column('late_cancel', sa.Integer(), nullable=False),
    sa.Column('left_early', sa.Integer(), nullable=False),
    sa.CheckConstraint('present >= 0 AND excused >= 0 AND no_show >= 0 AND late_cancel >= 0 AND left_early >= 0 AND left_early <= present', name=op.f('ck_attendance_tallies_counts_valid')),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_attendance_tallies_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['schedule_versions.id'], name=op.f('fk_attendance_tallies_version_id_schedule_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_tallies')),
    sa.UniqueConstraint('version_id', 'group_code', 'slot_code', 'date', name=op.f('uq_attendance_tallies_version_id_group_code_slot_code_date'))
    )
    with op.batch_alter_table('attendance_tallies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_tallies_center_id'), ['center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_tallies_version_id'), ['version_id'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('group_code', sa.String(length=64), nullable=False),
    sa.Column('participant_code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('called', 'message_sent', 'left_group', name='follow_up_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_follow_ups_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_follow_ups_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['schedule_versions.id'], name=op.f('fk_follow_ups_version_id_schedule_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_center_id'), ['center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_participant_code'), ['participant_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_recorded_at'), ['recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_version_id'), ['version_id'], unique=False)



def downgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_version_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_participant_code'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_center_id'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('attendance_tallies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_tallies_version_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_tallies_center_id'))

    op.drop_table('attendance_tallies')
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_marks_version_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_marks_participant_code'))
        batch_op.drop_index(batch_op.f('ix_attendance_marks_date'))
        batch_op.drop_index(batch_op.f('ix_attendance_marks_center_id'))

    op.drop_table('attendance_marks')
    op.drop_table('monitoring_settings')
