"""Grids: registers (buildings, households, residents, key places), staff, visits, tasks, opinions.

What the module offers the rest of the application (its address locator for reports with an address and no
point, its routers, commands and demo) is declared in ``pingan.grids.module`` and wired in when it is
enabled (``PINGAN_MODULES``)."""
