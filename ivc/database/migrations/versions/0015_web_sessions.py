"""web sessions: server-side sessions of the web interface and their one-time tickets

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 13:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ivc.database.types

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('websession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', ivc.database.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', ivc.database.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', ivc.database.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_websession_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_websession_username'), ['username'], unique=False)

    op.create_table('websessionticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', ivc.database.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ivc.database.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', ivc.database.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('websessionticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_websessionticket_ticket_hash'), ['ticket_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('websessionticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_websessionticket_ticket_hash'))

    op.drop_table('websessionticket')
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_websession_username'))
        batch_op.drop_index(batch_op.f('ix_websession_token_hash'))

    op.drop_table('websession')
