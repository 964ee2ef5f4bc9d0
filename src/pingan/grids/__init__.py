"""Grids: registers (buildings, households, residents, key places), staff, visits, tasks, opinions."""

from pingan.cases.hooks import register_address_locator

register_address_locator("pingan.grids.geocode:locate_address")  # reports with an address and no point
