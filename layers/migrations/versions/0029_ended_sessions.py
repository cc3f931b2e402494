"""ended sessions: tokens ended before their expiry (logout), all of an account's on its disable

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06

An access token (JWT) stayed valid for its whole lifetime after 退出 (trial AI, S1): logout
only deleted the console's cookie. Each token now carries an id (``jti``); logging out writes
that id here, and every authenticated request refuses a token whose id is here (one index
look-up, in the statement that already reads the account). A row is of no use once its token
expired (``expires_at``): logout purges those.

Disabling an account ends its tokens too (trial AI, M3): re-enabling it brought the tokens
issued before back. ``users.sessions_ended_at`` refuses every token issued up to then; a
trigger sets it whenever ``active`` turns false, whoever disables the account (the console,
``zongzhi user disable``, a roster that marks a worker as gone), at the statement's clock time
(a roster import's transaction may be long: a login during it ends too).

No row-level security (as ``users``): a session is no jurisdiction's data, and a row holds no
personal data (a random id, an account id, two times). The app role writes logouts and purges.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"


def upgrade() -> None:
    op.create_table(
        "ended_sessions",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "ended_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ended_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_ended_sessions")),
    )
    op.create_index(op.f("ix_ended_sessions_expires_at"), "ended_sessions", ["expires_at"])
    op.create_index(op.f("ix_ended_sessions_user_id"), "ended_sessions", ["user_id"])
    op.execute(f"GRANT SELECT, INSERT, DELETE ON ended_sessions TO {APP_ROLE}")
    op.add_column(
        "users", sa.Column("sessions_ended_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("""
        CREATE FUNCTION zongzhi_end_sessions_on_disable() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.sessions_ended_at := clock_timestamp();
            RETURN NEW;
        END $$""")
    op.execute(
        "CREATE TRIGGER end_sessions_on_disable BEFORE UPDATE OF active ON users"
        " FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)"
        " EXECUTE FUNCTION zongzhi_end_sessions_on_disable()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER end_sessions_on_disable ON users")
    op.execute("DROP FUNCTION zongzhi_end_sessions_on_disable()")
    op.drop_column("users", "sessions_ended_at")
    op.drop_index(op.f("ix_ended_sessions_user_id"), table_name="ended_sessions")
    op.drop_index(op.f("ix_ended_sessions_expires_at"), table_name="ended_sessions")
    op.drop_table("ended_sessions")
