"""published versions hold what their outputs show; one date of a group may move to another room or time

``schedule_versions.presentation`` keeps the address and the activities' calendar labels as they were
when the version was published (the scenario already keeps the center's name, time zone, term and
holidays). Versions published before this revision get the center's current values, which are what
their feeds showed until now. ``meeting_overrides`` gains the room and time of a moved date.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 02:40:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('schedule_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presentation', sa.JSON(), nullable=True))
    with op.batch_alter_table('meeting_overrides', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('start_minute', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_minute', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_meeting_overrides_moved_time_whole'),
                                         '(start_minute IS NULL) = (end_minute IS NULL)')
        batch_op.create_check_constraint(op.f('ck_meeting_overrides_moved_time_in_day'),
                                         'start_minute IS NULL OR (0 <= start_minute AND start_minute < end_minute '
                                         'AND end_minute <= 1440)')
    connection = op.get_bind()
    published = connection.execute(sa.text(
        "SELECT v.id, v.center_id, c.address FROM schedule_versions v JOIN centers c ON c.id = v.center_id "
        "WHERE v.status = 'published'")).all()
    for version_id, center_id, address in published:
        labels = {code: label or "" for code, label in connection.execute(sa.text(
            "SELECT code, calendar_label FROM activities WHERE center_id = :center"), {"center": center_id})}
        connection.execute(sa.text("UPDATE schedule_versions SET presentation = :value WHERE id = :id"),
                           {"value": json.dumps({"address": address or "", "labels": labels}), "id": version_id})


def downgrade():
    with op.batch_alter_table('meeting_overrides', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meeting_overrides_moved_time_in_day'), type_='check')
        batch_op.drop_constraint(op.f('ck_meeting_overrides_moved_time_whole'), type_='check')
        batch_op.drop_column('end_minute')
        batch_op.drop_column('start_minute')
        batch_op.drop_column('room_code')
    with op.batch_alter_table('schedule_versions', schema=None) as batch_op:
        batch_op.drop_column('presentation')
