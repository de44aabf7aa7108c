"""Why an item is where it is in the queue, and review: overlap items and replaced answers.

* ``items.score`` and ``items.ranked_by``: the strategy's score for the item
  and the model version whose query ranked it (the admin's queue preview).
* ``items.needed``: answers an item needs (2 for the overlap share, served to
  two annotators).
* ``labels.replaced_by``: the label row (an admin's correction or settled
  conflict) that replaced this one; ``labels.corrected``: the row is such a
  correction. Raw answers stay in the table and in exports.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("ranked_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("needed", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("corrected", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_column("corrected")
        batch_op.drop_column("replaced_by")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("needed")
        batch_op.drop_column("ranked_by")
        batch_op.drop_column("score")
