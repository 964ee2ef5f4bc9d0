"""Devices that report liveness (patrol phones, cameras, river stations …): one register, one sweep that marks
them offline and turns an outage into one deduplicated, snoozable case. Modules use :mod:`.interface`."""
