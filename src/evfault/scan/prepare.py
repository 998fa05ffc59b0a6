"""Light preprocessing around the OCR engine: size, the screen's own rectangle, dark LCDs,
glare, skew, and the gaps of segment displays.

Each function takes and returns RGB pixels, so the reader can try them in turn.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from evfault.scan.engine import Pixels

SMALL_SIDE = 960  # a photo whose longer side is shorter is scaled up: the recogniser wants
LARGE_SIDE = 1600  # large letters; a longer one is scaled down: detail beyond this adds only time
SCREEN_SHARE = (0.06, 0.92)  # a screen fills between these shares of a photo
DARK = 110  # a screen whose median grey is below this is a backlit LCD: light text on dark


def to_rgb(image: object) -> Pixels:
    pixels: Pixels = np.asarray(image, dtype=np.uint8)
    return pixels


def fit(pixels: Pixels) -> Pixels:
    """Scale so the longer side lies between SMALL_SIDE and LARGE_SIDE."""
    height, width = pixels.shape[:2]
    longer = max(height, width)
    if longer < SMALL_SIDE:
        scale = SMALL_SIDE / longer
        interpolation = cv2.INTER_CUBIC
    elif longer > LARGE_SIDE:
        scale = LARGE_SIDE / longer
        interpolation = cv2.INTER_AREA
    else:
        return pixels
    size = (round(width * scale), round(height * scale))
    resized: Pixels = cv2.resize(pixels, size, interpolation=interpolation)
    return resized


def _grey(pixels: Pixels) -> Pixels:
    grey: Pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    return grey


def find_screen(pixels: Pixels) -> Pixels | None:
    """The screen cut out of the photo and turned level, or None where no screen stands out.

    The screen is the largest bright- or dark-edged rectangle of a plausible size.
    """
    grey = cv2.GaussianBlur(_grey(pixels), (5, 5), 0)
    edges = cv2.dilate(cv2.Canny(grey, 30, 90), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    area = pixels.shape[0] * pixels.shape[1]
    best: tuple[float, Any] | None = None  # (share of the photo, OpenCV's rotated rectangle)
    for contour in contours:
        rect = cv2.minAreaRect(contour)
        (_, _), (w, h), _ = rect
        share = w * h / area
        if not SCREEN_SHARE[0] <= share <= SCREEN_SHARE[1] or min(w, h) < 20:
            continue
        if cv2.contourArea(cv2.convexHull(contour)) < 0.85 * w * h:
            continue  # not a rectangle: a shadow, a cable, a hand
        if best is None or share > best[0]:
            best = (share, rect)
    return None if best is None else _level(pixels, best[1])


def _level(pixels: Pixels, rect: Any) -> Pixels:
    """The inside of a turned rectangle, turned level (screens are wider than tall)."""
    (cx, cy), (w, h), _ = rect
    corners = cv2.boxPoints(rect)
    edges = [corners[(i + 1) % 4] - corners[i] for i in range(2)]
    dx, dy = max(edges, key=lambda e: float(np.hypot(e[0], e[1])))
    angle = float(np.degrees(np.arctan2(dy, dx)))  # the long side's slope, in (-180, 180]
    angle = (angle + 90) % 180 - 90  # a screen is never upside down: turn by less than 90°
    w, h = max(w, h), min(w, h)
    turn = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    level = cv2.warpAffine(pixels, turn, (pixels.shape[1], pixels.shape[0]),
                           flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    inset = 0.03  # the screen's own frame would read as a stray "I" or "1"
    x0, y0 = int(cx - w / 2 + w * inset), int(cy - h / 2 + h * inset)
    x1, y1 = int(cx + w / 2 - w * inset), int(cy + h / 2 - h * inset)
    crop: Pixels = level[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    return crop


def even_light(pixels: Pixels) -> Pixels:
    """Dark text on an even, light ground: dark LCDs inverted, glare and shadows flattened."""
    grey = _grey(pixels)
    if float(np.median(grey)) < DARK:
        grey = 255 - grey
    clahe = cv2.createCLAHE(clipLimit=2.5, tileGridSize=(8, 8))
    flat = clahe.apply(grey)
    rgb: Pixels = cv2.cvtColor(flat, cv2.COLOR_GRAY2RGB)
    return rgb


def close_segments(pixels: Pixels, share: float = 0.03) -> Pixels:
    """Segments joined into strokes: light marks grown over the gaps between them, then shrunk.

    `share` is the gap to close, as a share of the picture's height (segments of a code that
    fills half a screen's height are about 3 % apart).
    """
    grey = _grey(pixels)
    if float(np.median(grey)) >= DARK:
        grey = 255 - grey  # closing joins light marks: make the text the light part
    _, marks = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    size = max(3, round(pixels.shape[0] * share) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    closed = cv2.morphologyEx(marks, cv2.MORPH_CLOSE, kernel)
    rgb: Pixels = cv2.cvtColor(255 - closed, cv2.COLOR_GRAY2RGB)
    return rgb
