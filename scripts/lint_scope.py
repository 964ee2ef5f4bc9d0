"""Custom lint: area scoping goes through pingan.core.security (in_scope / ensure_in_scope) only.

Flags hand-written area-code prefix filters (``area_code.startswith(...)``, ``.like(...)`` on an area code)
anywhere else in src/, so that no endpoint grows its own scope check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "pingan"
ALLOWED = {ROOT / "core" / "security.py", ROOT / "areas" / "service.py", ROOT / "areas" / "codes.py"}
PATTERN = re.compile(r"area_code\s*\.\s*(startswith|like|ilike)\s*\(")
MARK = "lint-scope: ok"  # an explicit, reviewed exception names itself on the line


def main() -> int:
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        if path in ALLOWED:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if PATTERN.search(line) and MARK not in line:
                problems.append(f"{path.relative_to(ROOT.parent.parent)}:{n}: hand-written area filter; "
                                "use pingan.core.security.in_scope")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
