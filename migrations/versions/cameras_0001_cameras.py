"""cameras: the register of cameras, their NVRs and platforms; video platforms

Revision ID: cameras_0001
Revises:
Create Date: 2026-12-03 18:10:00

The cameras module's branch (issue 17): ``camera_platforms`` (the video platforms that push status, with
their encrypted push tokens and video link templates) and ``cameras`` (cameras and the devices they hang
under, by GB/T 28181 ID). Liveness lives in the devices spine (its branch); the outage category 1501
视频监控离线 (under 15 设备运维) is added when missing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "cameras_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("cameras",)
depends_on: str | Sequence[str] | None = ["devices_0002", "cases_0008", "0012_grid_party_branches"]

CATEGORIES = (
    ("15", None, "设备运维", "Device operations"),
    ("1501", "15", "视频监控离线", "Camera offline"),
)


def upgrade() -> None:
    op.create_table(
        "camera_platforms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("gb_id", sa.String(length=20), nullable=True),
        sa.Column("link_template", sa.String(length=500), nullable=False),
        sa.Column("token_enc", sa.LargeBinary(), nullable=True),
        sa.Column("token_index", sa.String(length=64), nullable=True),
        sa.Column("created_at", pingan.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_platforms")),
        sa.UniqueConstraint("code", name=op.f("uq_camera_platforms_code")),
        sa.UniqueConstraint("token_index", name=op.f("uq_camera_platforms_token_index")),
    )
    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gb_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type_code", sa.String(length=3), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("area_code", sa.String(length=20), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("crs", sa.String(length=8), nullable=False),
        sa.Column("direction_deg", sa.Float(), nullable=True),
        sa.Column("fov_deg", sa.Float(), nullable=True),
        sa.Column("range_m", sa.Float(), nullable=True),
        sa.Column("owner_unit", sa.String(length=100), nullable=False),
        sa.Column("road", sa.String(length=100), nullable=False),
        sa.Column("place_name", sa.String(length=200), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("install_date", sa.Date(), nullable=True),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("contract_expires_on", sa.Date(), nullable=True),
        sa.Column("manufacturer", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("sip_password_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", pingan.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", pingan.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["cameras.id"], name=op.f("fk_cameras_parent_id_cameras")),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["camera_platforms.id"], name=op.f("fk_cameras_platform_id_camera_platforms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("gb_id", name=op.f("uq_cameras_gb_id")),
    )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        for column in ("area_code", "owner_unit", "parent_id", "platform_id", "role", "type_code"):
            batch_op.create_index(batch_op.f(f"ix_cameras_{column}"), [column], unique=False)
    _add_categories()


def _add_categories() -> None:
    categories = sa.table(
        "case_categories",
        sa.column("code", sa.String),
        sa.column("parent_code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
        sa.column("description", sa.Text),
        sa.column("keywords", sa.String),
        sa.column("default_priority", sa.String),
        sa.column("sla_minutes", sa.JSON),
        sa.column("clock", sa.String),
        sa.column("dedupe_radius_m", sa.Float),
        sa.column("dedupe_window_minutes", sa.Integer),
        sa.column("is_public", sa.Boolean),
        sa.column("is_active", sa.Boolean),
        sa.column("attributes", sa.JSON),
    )
    conn = op.get_bind()
    known = {row[0] for row in conn.execute(sa.select(categories.c.code))}
    for code, parent, zh, en in CATEGORIES:
        if code in known:
            continue
        conn.execute(
            categories.insert().values(
                code=code,
                parent_code=parent,
                name_zh=zh,
                name_en=en,
                description="",
                keywords="",
                default_priority="normal",
                sla_minutes={},
                clock="working",
                dedupe_radius_m=50.0,
                dedupe_window_minutes=1440,
                is_public=False,
                is_active=True,
                attributes=[],
            )
        )


def downgrade() -> None:
    conn = op.get_bind()
    for code, _parent, _zh, _en in reversed(CATEGORIES):  # the categories it added, when nothing uses them
        conn.execute(
            sa.text(
                "DELETE FROM case_categories WHERE code = :code"
                " AND NOT EXISTS (SELECT 1 FROM cases WHERE category_code = :code)"
                " AND NOT EXISTS (SELECT 1 FROM case_categories c WHERE c.parent_code = :code)"
            ),
            {"code": code},
        )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        for column in ("area_code", "owner_unit", "parent_id", "platform_id", "role", "type_code"):
            batch_op.drop_index(batch_op.f(f"ix_cameras_{column}"))
    op.drop_table("cameras")
    op.drop_table("camera_platforms")
