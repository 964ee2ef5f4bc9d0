"""Request and response shapes of the grid + party building API (/api/v1/party-branches)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pingan.grids.schemas import GridCoverageRead


class PartyBranchCreate(BaseModel):
    name: str = Field(max_length=100)
    area_code: str = Field(max_length=20, description="the community the branch belongs to")
    grid_codes: list[str] = Field(
        default_factory=list, max_length=200, description="empty: the whole community"
    )


class PartyBranchGrids(BaseModel):
    grid_codes: list[str] = Field(max_length=200, description="empty: the whole community")


class PartyMemberCreate(BaseModel):
    staff_id: int | None = Field(default=None, description="a grid staff member (grid worker, leader, cadre)")
    account_id: int | None = Field(default=None, description="an account, e.g. a patrol volunteer")
    role: str = "member"


class PartyGridRef(BaseModel):
    area_code: str
    name: str


class PartyBranchSummary(BaseModel):
    """A branch with its community, grids, secretary, member counts and this quarter's visit coverage."""

    id: int
    name: str
    area_code: str = Field(description="the community")
    community: str
    whole_community: bool = Field(description="no grids listed: the branch covers the whole community")
    grids: list[PartyGridRef]
    secretary: str | None
    members: int
    members_by_kind: dict[str, int] = Field(description="members per kind (grid_worker, cadre …, account)")
    households: int
    visited: int
    share: float


class PartyMemberListed(BaseModel):
    """A member with their name and what they are on the grids."""

    id: int
    staff_id: int | None
    account_id: int | None
    role: str
    name: str
    organisation: str
    kind: str


class PartyBranchDetail(PartyBranchSummary):
    """One branch: the summary, each covered grid's visit coverage and the members."""

    coverage: list[GridCoverageRead]
    member_list: list[PartyMemberListed]


class PartyMemberRead(BaseModel):
    id: int
    branch_id: int
    staff_id: int | None
    account_id: int | None
    role: str
