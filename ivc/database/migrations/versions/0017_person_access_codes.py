"""person access codes and person requests: the person's own space

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 16:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ivc.database.types

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('personaccesscode',
    sa.Column('created_at', ivc.database.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('territory', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
    sa.Column('locked_until', ivc.database.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', ivc.database.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', ivc.database.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('revoke_reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('personaccesscode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personaccesscode_code_hash'), ['code_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_personaccesscode_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_personaccesscode_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_personaccesscode_territory'), ['territory'], unique=False)

    op.create_table('personrequest',
    sa.Column('created_at', ivc.database.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('territory', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('closed_at', ivc.database.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('personrequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personrequest_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_personrequest_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_personrequest_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_personrequest_territory'), ['territory'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('personrequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personrequest_territory'))
        batch_op.drop_index(batch_op.f('ix_personrequest_status'))
        batch_op.drop_index(batch_op.f('ix_personrequest_person_id'))
        batch_op.drop_index(batch_op.f('ix_personrequest_created_by'))

    op.drop_table('personrequest')
    with op.batch_alter_table('personaccesscode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personaccesscode_territory'))
        batch_op.drop_index(batch_op.f('ix_personaccesscode_person_id'))
        batch_op.drop_index(batch_op.f('ix_personaccesscode_created_by'))
        batch_op.drop_index(batch_op.f('ix_personaccesscode_code_hash'))

    op.drop_table('personaccesscode')
