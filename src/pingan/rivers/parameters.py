"""The parameters a station may measure: canonical unit, the units accepted (with their factor to the
canonical one), the physical range a reading must lie in, and the NGSI WaterQualityObserved attribute names.

Unknown parameters and units are refused, never guessed; a value outside the physical range is refused (a
broken probe, a wrong unit), not classified.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Parameter:
    code: str
    name_zh: str
    unit: str  # canonical unit, as stored
    units: dict[str, float]  # accepted unit (lower case) -> factor to the canonical unit
    low: float
    high: float
    ngsi: tuple[str, ...] = field(default=())  # NGSI attribute names (or measurand symbols) carrying it


MG_L = {"mg/l": 1.0, "m1": 1.0, "mg/dm3": 1.0, "ug/l": 0.001, "µg/l": 0.001, "gq": 0.001}

PARAMETERS: dict[str, Parameter] = {
    p.code: p
    for p in (
        Parameter(
            "temperature",
            "水温",
            "°C",
            {"°c": 1.0, "c": 1.0, "cel": 1.0, "degc": 1.0},
            -5,
            45,
            ("temperature",),
        ),
        Parameter("pH", "pH", "pH", {"ph": 1.0, "c62": 1.0, "": 1.0, "1": 1.0}, 0, 14, ("pH",)),
        Parameter("DO", "溶解氧", "mg/L", MG_L, 0, 25, ("O2", "DO")),
        Parameter("CODMn", "高锰酸盐指数", "mg/L", MG_L, 0, 500, ("CODMn",)),
        Parameter("COD", "化学需氧量", "mg/L", MG_L, 0, 5000, ("cod", "COD")),
        Parameter("BOD5", "五日生化需氧量", "mg/L", MG_L, 0, 2000, ("bod", "BOD5")),
        Parameter("NH3N", "氨氮", "mg/L", MG_L, 0, 200, ("ammoniaNitrogen", "NH4", "NH3-N", "NH3N")),
        Parameter("TP", "总磷", "mg/L", MG_L, 0, 50, ("P-TOT", "TP")),
        Parameter("TN", "总氮", "mg/L", MG_L, 0, 200, ("N-TOT", "TN")),
        Parameter(
            "conductivity",
            "电导率",
            "µS/cm",
            {"µs/cm": 1.0, "us/cm": 1.0, "g42": 1.0, "ms/cm": 1000.0, "s/m": 10_000.0, "d10": 10_000.0},
            0,
            200_000,
            ("conductivity",),
        ),
        Parameter(
            "turbidity", "浊度", "NTU", {"ntu": 1.0, "fnu": 1.0, "ftu": 1.0}, 0, 10_000, ("turbidity",)
        ),
    )
}
NGSI_NAMES = {name: p.code for p in PARAMETERS.values() for name in p.ngsi}


class Refused(ValueError):
    """A reading that cannot be stored; ``reason`` is one of REASONS."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


REASONS = (
    "unknown_station",
    "unknown_parameter",
    "unknown_unit",
    "out_of_range",
    "not_measured",
    "future_time",
    "bad_time",  # before 1990 (an unset device clock)
)
# NGSI WaterQualityObserved default units that differ from ours (used when a value comes without unitCode)
NGSI_DEFAULT_UNITS = {"conductivity": "D10"}


def normalise(parameter: str, value: float, unit: str | None) -> tuple[str, float]:
    """The reading in the canonical unit, ``(code, value)``; :class:`Refused` with the reason otherwise.
    ``unit`` None means the canonical unit."""
    p = PARAMETERS.get(parameter) or PARAMETERS.get(NGSI_NAMES.get(parameter, ""))
    if p is None:
        raise Refused("unknown_parameter", f"unknown parameter {parameter!r}")
    factor = 1.0 if unit is None or unit == p.unit else p.units.get(unit.strip().lower())
    if factor is None:
        raise Refused("unknown_unit", f"unit {unit!r} is not one of {p.unit}'s known units for {p.code}")
    normal = value * factor
    if not p.low <= normal <= p.high:
        raise Refused("out_of_range", f"{p.code} {normal:g} {p.unit} is outside {p.low:g}…{p.high:g}")
    return p.code, normal
