"""Every page of both editions, in French and English, looks as its committed reference.

The demo programme's report (``test_rendering.demo_data``: plain data, a fixed report
date and chain head, so the PDF bytes are the same at every run) is rendered page by
page with pdftoppm and compared with the PNGs under ``tests/reports/visual/``. A pixel
differs when one of its channels moves by more than ``CHANNEL_TOLERANCE`` (anti-aliasing
moves edges by less); a page fails when more than ``MAX_DIFFERING`` of its pixels
differ, or when the page count or size changed.

On a failure the rendered page and a diff image (differing pixels in red over a faded
reference) are written under ``var/visual/`` (kept by CI as artefacts), and the message
names each page. To accept a deliberate layout change, regenerate the references with
``SIB_UPDATE_VISUAL=1`` and commit them (docs/reports.md, "Visual regression").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from reports.rendering import render_report
from tests.reports.test_rendering import demo_data

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = Path(__file__).resolve().parent / "visual"
ARTEFACTS = ROOT / "var" / "visual"
DPI = 60
# A channel moved by at most this much (out of 255) is anti-aliasing, not a change.
CHANNEL_TOLERANCE = 48
# A page may have this share of its pixels (7 of an A4 page's 349 000 at 60 dpi)
# differing beyond the tolerance: a one-word label change moves about 30.
MAX_DIFFERING = 0.00002

UPDATE = os.environ.get("SIB_UPDATE_VISUAL") == "1"

# Every page of four PDFs rendered and compared: `make test-fast` leaves it to `make test`.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed"
    ),
]


def render_pages(pdf: bytes, workdir: Path) -> list[Path]:
    """Render every page of ``pdf`` to a PNG in ``workdir`` and return them in order."""
    source = workdir / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(DPI), str(source), str(workdir / "page")],
        check=True,
        timeout=120,
    )
    return sorted(workdir.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def differing_share(reference: Image.Image, actual: Image.Image) -> tuple[float, Image.Image]:
    """Return the share of pixels differing beyond the tolerance, and a diff image."""
    diff = ImageChops.difference(reference, actual)
    # A pixel differs when its largest channel difference passes the tolerance.
    largest = Image.eval(diff.convert("L"), lambda v: 0)  # same size, black
    for band in diff.split():
        largest = ImageChops.lighter(largest, band)
    mask = largest.point(lambda v: 255 if v > CHANNEL_TOLERANCE else 0)
    count = mask.histogram()[255]
    faded = Image.blend(reference, Image.new("RGB", reference.size, "white"), 0.7)
    faded.paste(Image.new("RGB", reference.size, (220, 0, 0)), mask=mask)
    return count / (reference.width * reference.height), faded


def save(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)


@pytest.mark.parametrize("edition", ["public", "manager"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_looks_as_its_reference(tmp_path: Path, edition: str, lang: str):
    name = f"{edition}-{lang}"
    pages = render_pages(render_report(demo_data(edition=edition, language=lang)), tmp_path)
    actual = [Image.open(page).convert("RGB") for page in pages]
    references = REFERENCES / name
    if UPDATE:
        shutil.rmtree(references, ignore_errors=True)
        for number, image in enumerate(actual, start=1):
            # A 256-colour palette keeps the committed PNGs small and moves no pixel
            # beyond the tolerance.
            save(image.quantize(colors=256), references / f"page-{number:02d}.png")
    stored = sorted(references.glob("page-*.png"))
    assert stored, f"no references for {name}: run with SIB_UPDATE_VISUAL=1 (docs/reports.md)"
    shutil.rmtree(ARTEFACTS / name, ignore_errors=True)
    if len(actual) != len(stored):
        for number, image in enumerate(actual, start=1):
            save(image, ARTEFACTS / name / f"page-{number:02d}-actual.png")
        pytest.fail(
            f"{name}: {len(actual)} pages rendered, {len(stored)} in the reference; "
            f"the rendered pages are in {ARTEFACTS / name}"
        )
    faults = []
    for number, (image, reference_path) in enumerate(zip(actual, stored, strict=True), start=1):
        reference = Image.open(reference_path).convert("RGB")
        where = f"{name} page {number}"
        if reference.size != image.size:
            faults.append(f"{where}: size {image.size}, reference {reference.size}")
            save(image, ARTEFACTS / name / f"page-{number:02d}-actual.png")
            continue
        share, diff = differing_share(reference, image)
        if share > MAX_DIFFERING:
            save(image, ARTEFACTS / name / f"page-{number:02d}-actual.png")
            save(diff, ARTEFACTS / name / f"page-{number:02d}-diff.png")
            faults.append(f"{where}: {share:.3%} of pixels differ (at most {MAX_DIFFERING:.3%})")
    assert not faults, (
        "\n".join(faults) + f"\nactual and diff images in {ARTEFACTS / name}; if the change "
        "is meant, regenerate the references with SIB_UPDATE_VISUAL=1 (docs/reports.md)"
    )
