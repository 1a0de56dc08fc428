"""`make report-pictures`: the first page of the Word report and of the workbook as PNG, for
the README.

    python -m reports.pictures docs/img

Builds a simulated world (the simulators on loopback, one sync and reconcile into a throwaway
SQLite store), writes the January 2024 report (with the data cut-off), converts both files to
PDF with LibreOffice (``soffice --headless --convert-to pdf``) and renders each first page with
poppler's ``pdftoppm``. Without LibreOffice or pdftoppm it says so and does nothing else: they
are large system packages (``apt-get install libreoffice-writer libreoffice-calc
poppler-utils``), not Python ones.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

PERIOD = "2024-01"
PICTURES = {".docx": "report-word", ".xlsx": "report-excel"}
RESOLUTION = 70  # dots per inch: a page about 580 pixels wide, readable in the README


def tools() -> tuple[str, str] | None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    render = shutil.which("pdftoppm")
    return (office, render) if office and render else None


def write_sample(folder: Path) -> list[Path]:
    """The report of a simulated world: the .xlsx and the .docx."""
    from bridge.settings import load_settings
    from connectors import registry
    from pipelines import reconcile, sync, systems
    from reports.writer import write_report
    from simulators.harness import SimulatorCluster
    from store import database

    url = f"sqlite:///{folder / 'bridge.db'}"
    database.upgrade(url)
    engine = database.connect(url)
    try:
        with SimulatorCluster(size=400, seed=21) as sim:
            # One e-office system and the tracking system, as the demo has them.
            names = (registry.document_systems()[0], registry.tracking_system())
            simulated = load_settings(
                http={"max_attempts": 3}, **{name: sim.client_settings(name) for name in names}
            )
            catalog = sync.Catalog.load()
            for name in names:
                sync.sync_system(engine, systems.build_connector(simulated, name), catalog)
            now = datetime.fromisoformat(sim.now())
            reconcile.reconcile(engine, now)
        settings = load_settings(var_dir=folder)
        written = write_report(engine, PERIOD, out=folder / "report.xlsx", now=now,
                               settings=settings)  # fmt: skip
    finally:
        engine.dispose()
    return [written.docx_path, written.path]


def first_page_png(office: str, render: str, source: Path, target: Path) -> Path:
    work = source.parent
    # The programs are the ones found on PATH above and the paths are our own files.
    subprocess.run(  # noqa: S603
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(work), str(source)],
        check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    pdf = source.with_suffix(".pdf")
    stem = target.with_suffix("")
    subprocess.run(  # noqa: S603
        [render, "-png", "-f", "1", "-l", "1", "-r", str(RESOLUTION), "-singlefile", str(pdf),
         str(stem)],
        check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where the PNG files go, e.g. docs/img")
    args = parser.parse_args(argv)
    found = tools()
    if found is None:
        print(
            "report-pictures: skipped, LibreOffice (soffice) or pdftoppm is not installed; "
            "install libreoffice-writer, libreoffice-calc and poppler-utils to render them"
        )
        return 0
    office, render = found
    args.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for source in write_sample(Path(scratch)):
            target = args.folder / f"{PICTURES[source.suffix]}.png"
            first_page_png(office, render, source, target)
            print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
