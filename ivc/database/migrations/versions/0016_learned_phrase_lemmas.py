"""learned phrases keep their lemmas, computed when the phrase is accepted

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 15:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows accepted before this revision get their lemmas the first time a process loads them.
    with op.batch_alter_table('learnedphrase', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'lemmas', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('learnedphrase', schema=None) as batch_op:
        batch_op.drop_column('lemmas')
