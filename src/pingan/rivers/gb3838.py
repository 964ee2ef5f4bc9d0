"""GB 3838-2002 (地表水环境质量标准) single-factor classification, a pure function of the measured values.

Limits are Table 1's basic items (docs: /work/shared/domain/water-quality.md), kept as versioned data
(:data:`STANDARD`). For each item the class is the best class whose limit the value meets, boundaries
inclusive as the standard writes them (``≤`` for most items, ``≥`` for dissolved oxygen, the range 6–9 for
pH); beyond class V an item is 劣V. A sample's class is the worst of its items' classes (单因子评价法),
and the items at that class are the deciding ones (定类项目). pH outside 6–9 counts as 劣V (a common
convention: the standard itself only says 6–9 for every class).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

STANDARD = "GB3838-2002"


class WaterClass(IntEnum):
    """Classes I–V and 劣V (inferior V); a larger value is worse water."""

    I = 1  # noqa: E741 (the standard's own name)
    II = 2
    III = 3
    IV = 4
    V = 5
    INFERIOR_V = 6

    @property
    def label(self) -> str:
        return LABELS[self]

    @classmethod
    def parse(cls, text: str) -> WaterClass:
        """``"III"``, ``"劣V"``, ``"inferior V"`` or ``"3"`` … as a class; ValueError otherwise."""
        key = text.strip().upper().replace("Ⅴ", "V").replace(" ", "")
        for water_class, label in LABELS.items():
            if key in (label.upper(), str(int(water_class))):
                return water_class
        if key in ("INFERIORV", "劣5", "VI"):
            return cls.INFERIOR_V
        raise ValueError(f"not a water class: {text!r}")


LABELS = {
    WaterClass.I: "I",
    WaterClass.II: "II",
    WaterClass.III: "III",
    WaterClass.IV: "IV",
    WaterClass.V: "V",
    WaterClass.INFERIOR_V: "劣V",
}

MAX, MIN, RANGE = "max", "min", "range"

# parameter code -> (direction, limits of classes I..V). MAX: value ≤ limit; MIN: value ≥ limit.
LIMITS: dict[str, tuple[str, tuple[float, float, float, float, float]]] = {
    "DO": (MIN, (7.5, 6, 5, 3, 2)),
    "CODMn": (MAX, (2, 4, 6, 10, 15)),
    "COD": (MAX, (15, 15, 20, 30, 40)),
    "BOD5": (MAX, (3, 3, 4, 6, 10)),
    "NH3N": (MAX, (0.15, 0.5, 1.0, 1.5, 2.0)),
    "TP": (MAX, (0.02, 0.1, 0.2, 0.3, 0.4)),
    "TP_lake": (MAX, (0.01, 0.025, 0.05, 0.1, 0.2)),
    "TN": (MAX, (0.2, 0.5, 1.0, 1.5, 2.0)),
    "Cu": (MAX, (0.01, 1.0, 1.0, 1.0, 1.0)),
    "Zn": (MAX, (0.05, 1.0, 1.0, 2.0, 2.0)),
    "F": (MAX, (1.0, 1.0, 1.0, 1.5, 1.5)),
    "Se": (MAX, (0.01, 0.01, 0.01, 0.02, 0.02)),
    "As": (MAX, (0.05, 0.05, 0.05, 0.1, 0.1)),
    "Hg": (MAX, (0.00005, 0.00005, 0.0001, 0.001, 0.001)),
    "Cd": (MAX, (0.001, 0.005, 0.005, 0.005, 0.01)),
    "Cr6": (MAX, (0.01, 0.05, 0.05, 0.05, 0.1)),
    "Pb": (MAX, (0.01, 0.01, 0.05, 0.05, 0.1)),
    "CN": (MAX, (0.005, 0.05, 0.2, 0.2, 0.2)),
    "phenol": (MAX, (0.002, 0.002, 0.005, 0.01, 0.1)),
    "oil": (MAX, (0.05, 0.05, 0.05, 0.5, 1.0)),
    "LAS": (MAX, (0.2, 0.2, 0.2, 0.3, 0.3)),
    "sulfide": (MAX, (0.05, 0.1, 0.2, 0.5, 1.0)),
    "coliform": (MAX, (200, 2000, 10000, 20000, 40000)),
}
PH_RANGE = (6.0, 9.0)
CLASSIFIED = frozenset({*LIMITS, "pH"})
"""The parameters classified here (others: temperature, conductivity, turbidity are measured only)."""


@dataclass(frozen=True)
class Classification:
    """A sample's class, the parameters that decide it, and every parameter's own class."""

    water_class: WaterClass
    deciding: tuple[str, ...]
    by_parameter: Mapping[str, WaterClass]
    standard: str = STANDARD


def classify_value(parameter: str, value: float) -> WaterClass:
    """One parameter's class (KeyError for a parameter the standard does not classify here)."""
    if parameter == "pH":
        low, high = PH_RANGE
        return WaterClass.I if low <= value <= high else WaterClass.INFERIOR_V
    direction, limits = LIMITS[parameter]
    for water_class, limit in zip(WaterClass, limits, strict=False):
        if (value >= limit) if direction == MIN else (value <= limit):
            return water_class
    return WaterClass.INFERIOR_V


def classify(values: Mapping[str, float], *, lake: bool = False) -> Classification | None:
    """The single-factor class of a sample (parameter code -> value); ``None`` when no value is classified.

    ``lake``: total phosphorus against the lakes-and-reservoirs limits (TP is then read as ``TP_lake``).
    Parameters without a limit here are ignored."""
    by_parameter: dict[str, WaterClass] = {}
    for parameter, value in values.items():
        key = "TP_lake" if lake and parameter == "TP" else parameter
        if key in CLASSIFIED:
            by_parameter[parameter] = classify_value(key, value)
    if not by_parameter:
        return None
    worst = max(by_parameter.values())
    deciding = tuple(sorted(p for p, c in by_parameter.items() if c == worst))
    return Classification(worst, deciding, by_parameter)


def exceedance(parameter: str, value: float, target: WaterClass) -> float | None:
    """超标倍数: (value − target limit) / target limit for a ``≤`` item above the target class's limit;
    ``None`` for DO and pH (not computed) or when the value meets the target."""
    if parameter not in LIMITS or target == WaterClass.INFERIOR_V:
        return None
    direction, limits = LIMITS[parameter]
    limit = limits[int(target) - 1]
    if direction != MAX or value <= limit:
        return None
    return (value - limit) / limit
