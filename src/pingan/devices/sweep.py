"""The sweep (job ``devices.sweep``): devices not heard for their kind's ``offline_after_seconds`` go offline;
an outage of a kind with an ``outage_category`` that lasts ``outage_after_seconds`` becomes ONE case, raised
through the cases spine's machine signals (dedupe key ``device-outage:<kind>:<external_id>``: a repeat
counts on the open case, a snoozed key is suppressed and counted there); a device heard again gets a
"back online at …" step on its open outage case.

A device with a parent (``Device.parent_id``: a camera's NVR) whose parent is out, the parent being of a kind
that raises outage cases, raises none of its own: its outage folds into the parent's one case (a whole NVR
going dark is one case, not one per camera). Once the parent is back, a child still silent raises its own.
Every outage is kept in the history (``device_outages``): opened when the device is marked offline (from when
it was last heard), closed when it is heard again."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from pingan.cases import interface as cases
from pingan.core.clock import as_utc, to_local
from pingan.core.errors import PinganError
from pingan.core.modules import DeviceKind
from pingan.core.security import Actor
from pingan.devices.history import close_outages, open_outages
from pingan.devices.kinds import device_kinds
from pingan.devices.models import Device, DeviceStatus

JOB = "devices.sweep"
BATCH = 500  # outages raised per kind and pass (the rest follow in the next pass)


@dataclass
class SweepReport:
    offline: int = 0  # devices marked offline in this pass
    raised: int = 0  # outage cases opened
    counted: int = 0  # outages counted on an open case of the same device
    suppressed: int = 0  # outages swallowed by a snoozed key
    back_online: int = 0  # "back online" steps written
    folded: int = 0  # outages of devices whose parent is out (counted on the parent's case)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def outage_key(kind: str, external_id: str) -> str:
    """The dedupe key of a device's outage cases (what an operator snoozes: ``/api/v1/case-snoozes``)."""
    return f"device-outage:{kind}:{external_id}"


def sweep(session: Session, now: datetime, kinds: dict[str, DeviceKind] | None = None) -> SweepReport:
    """One pass over every declared kind (``kinds``: the installed modules' by default). Never commits."""
    now = as_utc(now)
    report = SweepReport()
    actor = Actor.system(JOB)
    chosen = kinds if kinds is not None else device_kinds()
    for kind in chosen.values():  # every kind first: a child's parent is marked before the child is judged
        report.offline += _mark_offline(session, kind, now)
    raising = tuple(code for code, kind in chosen.items() if kind.outage_category)
    for kind in chosen.values():
        if kind.outage_category:
            _raise_outages(session, actor, kind, now, report, raising)
    close_outages(session)
    _back_online(session, actor, report)
    session.flush()
    return report


def _mark_offline(session: Session, kind: DeviceKind, now: datetime) -> int:
    """Devices silent for longer than the kind allows go offline, each with an outage from when last heard."""
    cutoff = now - timedelta(seconds=kind.offline_after_seconds)
    going = session.execute(
        select(Device.id, Device.last_seen_at).where(
            Device.kind == kind.code,
            Device.status == DeviceStatus.ONLINE.value,
            Device.last_seen_at < cutoff,
        )
    ).all()
    if not going:
        return 0
    ids = [device_id for device_id, _ in going]
    for start in range(0, len(ids), 1000):
        session.execute(
            update(Device)
            .where(Device.id.in_(ids[start : start + 1000]))
            .values(status=DeviceStatus.OFFLINE.value, status_since=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if kind.keep_outages:
        open_outages(session, [(device_id, seen) for device_id, seen in going if seen is not None])
    return len(going)


def _raise_outages(
    session: Session,
    actor: Actor,
    kind: DeviceKind,
    now: datetime,
    report: SweepReport,
    raising: tuple[str, ...],
) -> None:
    """Signal the kind's outages that lasted long enough, except those folded into an out parent's case."""
    cutoff = now - timedelta(seconds=kind.outage_after_seconds)
    parent = aliased(Device)
    parent_out = (parent.status == DeviceStatus.OFFLINE.value) & parent.kind.in_(raising)
    waiting = (
        select(Device.id)
        .outerjoin(parent, parent.id == Device.parent_id)
        .where(
            Device.kind == kind.code,
            Device.status == DeviceStatus.OFFLINE.value,
            Device.outage_signalled_at.is_(None),
            Device.last_seen_at < cutoff,
        )
    )
    report.folded += (
        session.scalar(select(func.count()).select_from(waiting.where(parent_out).subquery())) or 0
    )
    down_ids = session.scalars(
        waiting.where(or_(parent.id.is_(None), ~parent_out)).order_by(Device.id).limit(BATCH)
    ).all()
    for device_id in down_ids:
        device = session.get(Device, device_id)
        assert device is not None
        _signal(session, actor, kind, device, now, report)


def _signal(
    session: Session, actor: Actor, kind: DeviceKind, device: Device, now: datetime, report: SweepReport
) -> None:
    """Raise (or count, or have suppressed) the outage case of one device."""
    assert kind.outage_category is not None and device.last_seen_at is not None
    since = to_local(device.last_seen_at).strftime("%Y-%m-%d %H:%M")
    label = device.name or device.external_id
    children = session.scalar(
        select(func.count()).where(Device.parent_id == device.id, Device.status == DeviceStatus.OFFLINE.value)
    )
    folded = f"下级设备 {children} 台随之离线（不另立案）。" if children else ""
    device.outage_signalled_at = now
    try:
        case = cases.raise_case(
            session,
            actor,
            category_code=kind.outage_category,
            title=f"{kind.name_zh}离线：{label}"[:200],
            description=(
                f"{kind.name_zh} {label}（{device.external_id}）自 {since} 起未上报，已离线超过 "
                f"{kind.outage_after_seconds // 60} 分钟。{folded}"
            ),
            source="system",
            lon=device.lon,
            lat=device.lat,
            area_code=device.area_code,
            source_ref=f"device:{device.id}",
            dedupe_key=outage_key(kind.code, device.external_id),
        )
    except PinganError as exc:
        if exc.code != "snoozed":
            raise
        report.suppressed += 1  # an operator snoozed this device's outages (the cases spine counted it)
        return
    if case.state not in cases.OPEN_STATES:
        report.suppressed += (
            1  # snoozed: the spine counted it and answered with the device's last (closed) case
        )
    elif case.signal_count > 1:
        report.counted += 1
        device.outage_case_id = case.id
    else:
        report.raised += 1
        device.outage_case_id = case.id


def _back_online(session: Session, actor: Actor, report: SweepReport) -> None:
    """Devices heard again whose outage case is still linked: a step on the case (if still open), unlink."""
    returned = session.scalars(
        select(Device)
        .where(Device.status == DeviceStatus.ONLINE.value, Device.outage_case_id.is_not(None))
        .order_by(Device.id)
        .limit(BATCH)
    ).all()
    for device in returned:
        assert device.outage_case_id is not None
        case = cases.get_case(session, actor, case_id=device.outage_case_id)
        if case.state in cases.OPEN_STATES:
            at = to_local(device.status_since).strftime("%Y-%m-%d %H:%M:%S")
            cases.add_event(
                session,
                case,
                actor,
                action="device_online",
                note=f"{device.name or device.external_id} 于 {at} 恢复在线 (back online at {at})",
                details={
                    "kind": device.kind,
                    "external_id": device.external_id,
                    "back_online_at": as_utc(device.status_since).isoformat(),
                },
            )
            report.back_online += 1
        device.outage_case_id = None


def sweep_job(factory: sessionmaker[Session]) -> SweepReport | None:
    """The job ``devices.sweep``: one pass under its lease (``None``: another process is sweeping)."""
    return cases.run_leased(factory, JOB, lambda session, now: sweep(session, now))
