"""What modules may use of the devices spine (import-linter's "public surface" contract): register their
devices, record that devices were heard, read the register in the actor's scope, and sweep.

A module declares its kinds (``Module.device_kinds``: ``core.modules.DeviceKind``), registers each device
once (``register_devices``, an upsert by external id) and reports every hearing (``heard``, cheap enough for
hot ingestion paths). The spine's job ``devices.sweep`` does the rest: offline after the kind's
``offline_after_seconds``; for kinds with an ``outage_category``, one case per outage lasting
``outage_after_seconds`` (dedupe key :func:`outage_key`, snoozable at ``/api/v1/case-snoozes``); a "back
online" step on that case once the device is heard again.

A device may name a parent (``register_devices`` rows: ``parent_external_id`` and ``parent_kind``): while
the parent is out, the child's outage folds into the parent's case. Whoever relays devices may report them
down (``went_offline``); every outage is kept (``outages``; ``import_outages`` loads an older history) and a
module reads its devices' current state with ``device_states``.
"""

from __future__ import annotations

from pingan.devices.history import (
    DeviceState,
    Outage,
    device_states,
    import_outages,
    outages,
    went_offline,
)
from pingan.devices.models import DeviceStatus
from pingan.devices.service import get_device, heard, list_devices, register_devices, summary
from pingan.devices.sweep import SweepReport, outage_key, sweep

__all__ = [
    "DeviceState",
    "DeviceStatus",
    "Outage",
    "device_states",
    "import_outages",
    "outages",
    "went_offline",
    "SweepReport",
    "get_device",
    "heard",
    "list_devices",
    "outage_key",
    "register_devices",
    "summary",
    "sweep",
]
