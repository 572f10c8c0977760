"""statement texts encrypted at rest

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 16:35:00

A mediation statement is the person's own account of their life, like an experience's texts,
which were encrypted already (0010): ``statement.text_original`` and ``text_it`` become
``EncryptedText`` columns, and the rows already there are encrypted here (issue #21, point 3).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("text_original", "text_it")


def _recode(code: object) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, text_original, text_it FROM statement")).all()
    for row_id, *values in rows:
        new = {name: code(value, f"statement.{name}") for name, value in zip(_COLUMNS, values, strict=True)}  # type: ignore[operator]
        bind.execute(
            sa.text("UPDATE statement SET text_original = :text_original, text_it = :text_it WHERE id = :id"),
            {**new, "id": row_id},
        )


def upgrade() -> None:
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.alter_column('text_original',
               existing_type=sa.VARCHAR(length=20000),
               type_=sa.Text(),
               existing_nullable=False)
        batch_op.alter_column('text_it',
               existing_type=sa.VARCHAR(length=20000),
               type_=sa.Text(),
               existing_nullable=False)
    from ivc.crypto.fields import encrypt, is_encrypted

    _recode(lambda value, context: value if value is None or is_encrypted(value) else encrypt(value, context))


def downgrade() -> None:
    from ivc.crypto.fields import decrypt

    _recode(lambda value, context: None if value is None else decrypt(value, context))
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.alter_column('text_it',
               existing_type=sa.Text(),
               type_=sa.VARCHAR(length=20000),
               existing_nullable=False)
        batch_op.alter_column('text_original',
               existing_type=sa.Text(),
               type_=sa.VARCHAR(length=20000),
               existing_nullable=False)
