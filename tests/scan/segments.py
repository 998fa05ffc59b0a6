"""Seven- and fourteen-segment digits drawn with Pillow, as a charger's LCD shows them.

Segments are drawn one by one with a small gap between them, as real displays have; that gap is
what makes OCR engines trained on printed text stumble, and what the scan retry closes.
"""

from __future__ import annotations

from PIL import ImageDraw

Colour = tuple[int, int, int]

# Seven segments: a top, b upper right, c lower right, d bottom, e lower left, f upper left,
# g middle.
SEVEN: dict[str, str] = {
    "0": "abcdef", "1": "bc", "2": "abged", "3": "abgcd", "4": "fgbc", "5": "afgcd",
    "6": "afgedc", "7": "abc", "8": "abcdefg", "9": "abcdfg", "A": "abcefg", "C": "adef",
    "E": "adefg", "F": "aefg", "R": "eg", "O": "cdeg", "-": "g", " ": "",
}
# Fourteen segments: the seven (with the middle split in g1 and g2) plus h (top-left diagonal),
# i (upper centre), j (top-right diagonal), k (bottom-left diagonal), l (lower centre),
# m (bottom-right diagonal).
FOURTEEN: dict[str, tuple[str, ...]] = {
    "0": ("a", "b", "c", "d", "e", "f", "j", "k"), "1": ("b", "c", "j"),
    "2": ("a", "b", "g1", "g2", "e", "d"), "3": ("a", "b", "g2", "c", "d"),
    "4": ("f", "g1", "g2", "b", "c"), "5": ("a", "f", "g1", "g2", "c", "d"),
    "6": ("a", "f", "g1", "g2", "e", "d", "c"), "7": ("a", "b", "c"),
    "8": ("a", "b", "c", "d", "e", "f", "g1", "g2"), "9": ("a", "b", "c", "d", "f", "g1", "g2"),
    "A": ("a", "b", "c", "e", "f", "g1", "g2"), "C": ("a", "d", "e", "f"),
    "E": ("a", "d", "e", "f", "g1", "g2"), "F": ("a", "e", "f", "g1"),
    "R": ("a", "b", "e", "f", "g1", "g2", "m"), "O": ("a", "b", "c", "d", "e", "f"),
    "X": ("h", "j", "k", "m"), "-": ("g1", "g2"), " ": (),
}


def _bar(x0: float, y0: float, x1: float, y1: float, t: float) -> list[tuple[float, float]]:
    """A segment between two points with pointed ends, `t` thick."""
    h = t / 2
    if abs(y1 - y0) < abs(x1 - x0):  # horizontal
        return [(x0, y0), (x0 + h, y0 - h), (x1 - h, y1 - h), (x1, y1), (x1 - h, y1 + h),
                (x0 + h, y0 + h)]
    return [(x0, y0), (x0 + h, y0 + h), (x1 + h, y1 - h), (x1, y1), (x1 - h, y1 - h),
            (x0 - h, y0 + h)]


def _slanted(points: list[tuple[float, float]], base: float, slant: float) -> list[
    tuple[float, float]
]:
    return [(x + (base - y) * slant, y) for x, y in points]


def _outer(x: float, y: float, w: float, h: float, gap: float) -> dict[str, tuple[float, ...]]:
    mid = y + h / 2
    return {
        "a": (x + gap, y, x + w - gap, y), "d": (x + gap, y + h, x + w - gap, y + h),
        "f": (x, y + gap, x, mid - gap), "b": (x + w, y + gap, x + w, mid - gap),
        "e": (x, mid + gap, x, y + h - gap), "c": (x + w, mid + gap, x + w, y + h - gap),
        "g": (x + gap, mid, x + w - gap, mid),
        "g1": (x + gap, mid, x + w / 2 - gap, mid), "g2": (x + w / 2 + gap, mid, x + w - gap, mid),
        "i": (x + w / 2, y + gap, x + w / 2, mid - gap),
        "l": (x + w / 2, mid + gap, x + w / 2, y + h - gap),
    }


def _diagonals(x: float, y: float, w: float, h: float, gap: float) -> dict[
    str, tuple[float, ...]
]:
    mid, g = y + h / 2, gap * 1.5
    return {
        "h": (x + g, y + g, x + w / 2 - g, mid - g),
        "j": (x + w - g, y + g, x + w / 2 + g, mid - g),
        "k": (x + w / 2 - g, mid + g, x + g, y + h - g),
        "m": (x + w / 2 + g, mid + g, x + w - g, y + h - g),
    }


def draw_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    origin: tuple[float, float],
    height: float,
    colour: Colour,
    *,
    fourteen: bool = False,
    slant: float = 0.1,
    ghost: Colour | None = None,
) -> float:
    """Draw `text` in segments from `origin` (top left); returns the x where it ends.

    `ghost` draws the unlit segments faintly, as on a reflective LCD.
    """
    w, t = height * 0.55, max(2.0, height * 0.11)
    gap, x, y = t * 0.35, origin[0], origin[1]
    for ch in text.upper():
        lit = set(FOURTEEN.get(ch, ()) if fourteen else SEVEN.get(ch, ""))
        lines = _outer(x, y, w, height, gap)
        names = [*"abcdef", "g1", "g2", *"hjkm"] if fourteen else list("abcdefg")
        diagonals = _diagonals(x, y, w, height, gap)
        for name in names:
            on = name in lit
            if not on and ghost is None:
                continue
            fill = colour if on else ghost
            assert fill is not None
            if name in diagonals:
                x0, y0, x1, y1 = diagonals[name]
                a, b = (x0 + (y + height - y0) * slant, y0), (x1 + (y + height - y1) * slant, y1)
                draw.line([a, b], fill=fill, width=max(2, int(t * 0.8)))
            else:
                x0, y0, x1, y1 = lines[name]
                draw.polygon(_slanted(_bar(x0, y0, x1, y1, t), y + height, slant), fill=fill)
        x += w + t * 2.6
    return x
