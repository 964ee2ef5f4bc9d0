"""The case states and the other fixed vocabularies of a case, shared with every package that reads cases
(import them from here, not from the tables in ``cases.models``)."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Workflow states of a case."""

    REPORTED = "reported"  # 上报
    REGISTERED = "registered"  # 立案
    REJECTED = "rejected"  # 不予立案
    DISPATCHED = "dispatched"  # 派遣
    IN_PROGRESS = "in_progress"  # 处置
    HANDLED = "handled"  # 反馈
    VERIFIED = "verified"  # 核查
    CLOSED = "closed"  # 结案
    RETURNED = "returned"  # 退回 (to the dispatcher)
    SUSPENDED = "suspended"  # 挂起 (SLA clock paused)
    MERGED = "merged"  # 合并 into another case


OPEN_STATES = frozenset(
    {
        State.REPORTED,
        State.REGISTERED,
        State.DISPATCHED,
        State.IN_PROGRESS,
        State.HANDLED,
        State.VERIFIED,
        State.RETURNED,
        State.SUSPENDED,
    }
)
FINAL_STATES = frozenset({State.REJECTED, State.CLOSED, State.MERGED})

PRIORITIES = ("low", "normal", "high", "urgent")
STAGES = ("register", "dispatch", "handle", "verify")
SOURCES = (
    "resident_web",
    "hotline",
    "app",
    "open311",
    "grid_worker",
    "patrol",
    "inspection",
    "sensor",
    "camera",
    "parcel",
    "kitchen",
    "drug",
    "opinion",
    "system",
)
INTERNAL_SOURCES = frozenset(
    {"patrol", "inspection", "sensor", "camera", "parcel", "kitchen", "drug", "opinion", "system"}
)
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
# SLA clocks: "natural" counts every minute (fire, gas, emergencies); "working" only the work calendar's time
CLOCKS = ("natural", "working")
