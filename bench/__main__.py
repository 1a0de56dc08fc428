"""`make bench` (python -m bench): run every ``bench/*_bench.py`` module's ``main()`` in turn.

Benches are discovered, so a new one only needs a ``<name>_bench.py`` file with a ``main()``.
Figures are printed, never asserted (docs/design.md, "Quality bar").
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def discover() -> list[str]:
    """Module names of the benches beside this file, sorted for a stable order."""
    here = Path(__file__).resolve().parent
    return [f"bench.{path.stem}" for path in sorted(here.glob("*_bench.py"))]


def main() -> int:
    names = discover()
    if not names:
        print("no bench/*_bench.py found")
        return 1
    for name in names:
        print(f"=== {name} ===", flush=True)
        importlib.import_module(name).main()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
