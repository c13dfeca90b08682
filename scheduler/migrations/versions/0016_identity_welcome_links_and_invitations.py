"""identity across centers: welcome links stored hashed, invitations of existing accounts, when a
password was set, and TOTP secrets encrypted at rest

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 03:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

users = sa.table('users', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime(timezone=True)),
                 sa.column('password_set_at', sa.DateTime(timezone=True)), sa.column('totp_secret', sa.String()))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_set_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=True)
    # An account from before cannot be told apart from one whose owner chose a password: it counts as
    # having one, so no welcome link can ever be made for it.
    op.execute(users.update().values(password_set_at=users.c.created_at))
    _seal_existing_totp_secrets()
    op.create_table('welcome_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_welcome_links_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_welcome_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_welcome_links_token_hash'))
    )
    with op.batch_alter_table('welcome_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_welcome_links_user_id'), ['user_id'], unique=False)
    op.create_table('role_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('coordinator', 'facilitator', name='role_invitation_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=True),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_role_invitations_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facilitator_id'], ['facilitators.id'], name=op.f('fk_role_invitations_facilitator_id_facilitators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_role_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_role_invitations_token_hash'))
    )
    with op.batch_alter_table('role_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_invitations_center_id'), ['center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_invitations_facilitator_id'), ['facilitator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_invitations_user_id'), ['user_id'], unique=False)


def _seal_existing_totp_secrets():
    """Secrets stored in clear before this revision are encrypted with the app's key (config, not the
    database). Run outside the app (no key at hand), they are dropped instead: those people set
    two-factor sign-in up again rather than keep a secret in clear."""
    from flask import current_app, has_app_context

    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.isnot(None))).all()
    if not rows:
        return
    if has_app_context() and current_app.config.get("SECRET_KEY"):
        from scheduler.services.two_factor import seal
        for user_id, secret in rows:
            if not secret.startswith("v1."):
                connection.execute(users.update().where(users.c.id == user_id).values(totp_secret=seal(secret)))
    else:
        connection.execute(users.update().where(users.c.totp_secret.isnot(None)).values(totp_secret=None))


def downgrade():
    with op.batch_alter_table('role_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_invitations_user_id'))
        batch_op.drop_index(batch_op.f('ix_role_invitations_facilitator_id'))
        batch_op.drop_index(batch_op.f('ix_role_invitations_center_id'))
    op.drop_table('role_invitations')
    with op.batch_alter_table('welcome_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_welcome_links_user_id'))
    op.drop_table('welcome_links')
    # Encrypted secrets do not fit the old column and mean nothing without the key: they are dropped.
    op.execute(users.update().values(totp_secret=None))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
                              existing_nullable=True)
        batch_op.drop_column('password_set_at')
