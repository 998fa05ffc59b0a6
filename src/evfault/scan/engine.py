"""The OCR engine: RapidOCR on onnxruntime, with the PP-OCR models shipped inside its wheel.

Chosen by measuring (benchmarks/scan_accuracy.py): on the test photos it reads far more codes
than Tesseract, and it needs no download. Its model settings are left exactly as shipped: any
other model would be fetched from the internet at run time.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from numpy.typing import NDArray

Pixels = NDArray[Any]  # height × width × RGB, uint8 (OpenCV's stubs type every image loosely)


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text the engine read, its confidence (0–1) and where (x0, y0, x1, y1)."""

    text: str
    score: float
    box: tuple[float, float, float, float]


class Engine(Protocol):
    def read(self, pixels: Pixels) -> list[TextLine]: ...


class RapidEngine:
    """RapidOCR behind a lock: one photo at a time, each using every core onnxruntime wants."""

    def __init__(self, ocr: Any) -> None:
        self._ocr = ocr
        self._lock = threading.Lock()

    def read(self, pixels: Pixels) -> list[TextLine]:
        with self._lock:
            output = self._ocr(pixels)
        if output.txts is None:
            return []
        lines = []
        for text, score, box in zip(output.txts, output.scores, output.boxes, strict=True):
            xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
            lines.append(TextLine(str(text), float(score), (min(xs), min(ys), max(xs), max(ys))))
        return sorted(lines, key=lambda line: (round(line.box[1] / 8), line.box[0]))


_engine: RapidEngine | None = None
_engine_lock = threading.Lock()


def default_engine() -> RapidEngine:
    """The process's one engine, loaded on first use (about a second) from any thread."""
    global _engine
    with _engine_lock:
        if _engine is None:
            # onnxruntime from 1.29 on reports usage unless told not to, and reads this at import.
            os.environ["ORT_DISABLE_TELEMETRY"] = "1"
            from rapidocr import RapidOCR

            _engine = RapidEngine(RapidOCR(params={"Global.log_level": "warning"}))
        return _engine
