"""Make the scan test set: photos of charger screens showing error codes, with ground truth.

    python tests/scan/generate.py            # the test set: tests/scan/images/ + manifest.json
    python tests/scan/generate.py --heldout  # the held-out set (other seed, other fonts)

Deterministic for one seed, Pillow version and set of fonts. The images are committed, so the
tests do not depend on the fonts of the machine that runs them; this script says how they were
made and makes more. Fonts come from Debian's fonts-dejavu-core (test set) and fonts-liberation
(held-out set).
"""

from __future__ import annotations

import argparse
import io
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

try:
    from segments import draw_text
except ImportError:  # imported as tests.scan.generate
    from tests.scan.segments import draw_text

HERE = Path(__file__).resolve().parent
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
FONTS = {
    "test": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf",
             "DejaVuSansCondensed.ttf", "DejaVuSerif.ttf"),
    "heldout": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf",
                "LiberationMono-Regular.ttf", "LiberationSansNarrow-Regular.ttf",
                "LiberationSerif-Regular.ttf"),
}
SEEDS = {"test": 20261128, "heldout": 7919}
COUNTS = {"test": 64, "heldout": 44}

CODES = (
    *(f"CX{n:03d}" for n in range(1, 27)),
    *(f"F{n:03d}" for n in range(11)),
    *(f"A{n:03d}" for n in range(6)),
)
SCHEME = {"C": "chargex-mrec", "F": "evgo-mrec", "A": "evgo-mrec"}

# (error word, lines a charger shows around a code) per language: plain status text, never a
# fault phrase, so the only codes on a screen are the ones the manifest lists.
LANGUAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "en": ("Error", ("Charging not possible", "Please call the service line", "Out of order")),
    "de": ("Fehler", ("Laden nicht möglich", "Bitte Service-Hotline anrufen", "Außer Betrieb")),
    "fr": ("Erreur", ("Recharge impossible", "Veuillez appeler le service client",
                      "Hors service")),
    "es": ("Error", ("Carga no disponible", "Llame al servicio de asistencia",
                     "Fuera de servicio")),
    "it": ("Errore", ("Ricarica non possibile", "Contattare l'assistenza", "Fuori servizio")),
    "nl": ("Storing", ("Laden niet mogelijk", "Bel de klantenservice", "Buiten gebruik")),
    "pt": ("Erro", ("Carregamento indisponível", "Contacte o apoio ao cliente",
                    "Fora de serviço")),
    "pl": ("Błąd", ("Ładowanie niemożliwe", "Zadzwoń na infolinię", "Nieczynne")),
    "sv": ("Fel", ("Laddning inte möjlig", "Ring kundtjänst", "Ur funktion")),
    "da": ("Fejl", ("Opladning ikke mulig", "Ring til kundeservice", "Ude af drift")),
    "cs": ("Chyba", ("Nabíjení není možné", "Zavolejte zákaznickou linku", "Mimo provoz")),
}
# (screen background, text colour) — dark backlit LCDs and light reflective ones.
STYLES = {
    "dark-green": ((12, 28, 18), (120, 255, 160)),
    "dark-blue": ((10, 18, 60), (220, 235, 255)),
    "dark-amber": ((25, 14, 4), (255, 176, 40)),
    "black-white": ((8, 8, 8), (240, 240, 240)),
    "light-grey": ((190, 198, 186), (30, 34, 30)),
    "light-green": ((168, 196, 120), (24, 40, 20)),
    "light-blue": ((120, 170, 230), (10, 20, 50)),
    "white-black": ((235, 235, 228), (20, 20, 20)),
}


@dataclass
class Sample:
    file: str
    codes: list[str]  # scheme:code refs on the screen
    lang: str
    style: str
    font: str
    display: str  # "text", "seven", "fourteen"
    shown: list[str]  # the lines on the screen
    defects: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.defects


def font_path(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    raise SystemExit(f"font {name} is missing: install fonts-dejavu-core and fonts-liberation")


def ref(code: str) -> str:
    return f"{SCHEME[code[0]]}:{code}"


def spelled(code: str, rng: random.Random) -> str:
    """A code as a screen writes it: plain, with a dash or a space after its letters."""
    split = 2 if code.startswith("CX") else 1
    sep = rng.choice(["", "", "", "-", " "])
    return code[:split] + sep + code[split:]


def choose_codes(rng: random.Random, display: str) -> list[str]:
    pool = [c for c in CODES if display != "seven" or not c.startswith("CX")]  # no X in 7 segments
    count = 2 if display == "text" and rng.random() < 0.15 else 1
    return rng.sample(pool, count)


def background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A wall or charger housing behind the screen: a gradient with some texture."""
    top = tuple(rng.randint(60, 200) for _ in range(3))
    bottom = tuple(max(0, c - rng.randint(20, 60)) for c in top)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(size[1]):
        f = y / size[1]
        draw.line([(0, y), (size[0], y)], fill=tuple(int(a + (b - a) * f) for a, b in
                                                     zip(top, bottom, strict=True)))
    for _ in range(rng.randint(2, 6)):  # labels, screws, stickers
        x, y = rng.randint(0, size[0]), rng.randint(0, size[1])
        draw.rectangle([x, y, x + rng.randint(10, 80), y + rng.randint(5, 40)],
                       fill=tuple(rng.randint(0, 255) for _ in range(3)))
    return img


def screen(sample: Sample, rng: random.Random, size: tuple[int, int]) -> Image.Image:
    back, ink = STYLES[sample.style]
    img = Image.new("RGB", size, back)
    draw = ImageDraw.Draw(img)
    w, h = size
    font = font_path(sample.font)
    if sample.display == "text":
        big = fitting(font, sample.shown[1], int(h * 0.17), w * 0.88)
        small = fitting(font, max(sample.shown, key=len), int(h * 0.1), w * 0.88)
        y = h * 0.08
        for i, line in enumerate(sample.shown):
            face = big if i == 1 else small
            draw.text((w * 0.06, y), line, font=face, fill=ink)
            y += (h * 0.24) if i == 1 else (h * 0.16)
    else:
        label = ImageFont.truetype(str(font), int(h * 0.12))
        draw.text((w * 0.06, h * 0.06), sample.shown[0], font=label, fill=ink)
        ghost = tuple((b * 3 + i) // 4 for b, i in zip(back, ink, strict=True))
        height = min(h * 0.42, w * 0.84 / (len(sample.shown[1]) * 0.9))  # the code must fit
        draw_text(draw, sample.shown[1], (w * 0.08, h * 0.32), height, ink,
                  fourteen=sample.display == "fourteen", slant=rng.uniform(0.0, 0.15),
                  ghost=ghost if rng.random() < 0.4 else None)
    return img


def fitting(font: Path, text: str, size: int, width: float) -> ImageFont.FreeTypeFont:
    """The font at `size`, or smaller where `text` would run off the screen."""
    face = ImageFont.truetype(str(font), size)
    while size > 8 and face.getlength(text) > width:
        size -= 1
        face = ImageFont.truetype(str(font), size)
    return face


def compose(sample: Sample, rng: random.Random) -> Image.Image:
    """The screen in its housing, photographed: placed, turned, maybe lit by a lamp."""
    photo = background(rng, (640, 480))
    sw, sh = rng.randint(400, 560), rng.randint(220, 300)
    scr = screen(sample, rng, (sw, sh))
    bezel = Image.new("RGB", (sw + 24, sh + 24), (40, 40, 44))
    bezel.paste(scr, (12, 12))
    angle = rng.uniform(-7, 7) if "skew" in sample.defects else rng.uniform(-1.5, 1.5)
    mask = Image.new("L", bezel.size, 255).rotate(angle, expand=True)
    bezel = bezel.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    x = (photo.width - bezel.width) // 2 + rng.randint(-20, 20)
    y = (photo.height - bezel.height) // 2 + rng.randint(-20, 20)
    photo.paste(bezel, (x, y), mask)
    if "glare" in sample.defects:
        photo = glare(photo, rng)
    if "blur" in sample.defects:
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 1.8)))
    if "lowres" in sample.defects:
        photo = photo.resize((320, 240), Image.Resampling.BILINEAR)
    return photo


def glare(photo: Image.Image, rng: random.Random) -> Image.Image:
    """A lamp's reflection: a soft bright ellipse over part of the screen."""
    layer = Image.new("L", photo.size, 0)
    draw = ImageDraw.Draw(layer)
    cx, cy = rng.randint(100, 540), rng.randint(60, 160)
    rx, ry = rng.randint(60, 140), rng.randint(30, 70)
    for step in range(12, 0, -1):
        f = step / 12
        draw.ellipse([cx - rx * f, cy - ry * f, cx + rx * f, cy + ry * f],
                     fill=int(170 * (1 - f) + 30))
    white = Image.new("RGB", photo.size, (255, 255, 250))
    return Image.composite(white, photo, layer.filter(ImageFilter.GaussianBlur(8)))


def defects_for(rng: random.Random, index: int) -> list[str]:
    """A third of the photos are clean; the rest have one or two defects."""
    if index % 3 == 0:
        return []
    kinds = ["skew", "blur", "glare", "jpeg", "lowres"]
    return sorted(rng.sample(kinds, 1 if rng.random() < 0.6 else 2))


def make_sample(index: int, rng: random.Random, fonts: tuple[str, ...]) -> Sample:
    lang = list(LANGUAGES)[index % len(LANGUAGES)]
    word, lines = LANGUAGES[lang]
    display = ("seven", "fourteen")[index % 2] if index % 5 == 4 else "text"
    codes = choose_codes(rng, display)
    if display == "text":
        shown_codes = ", ".join(spelled(c, rng) for c in codes)
        head = f"{word} {shown_codes}" if rng.random() < 0.8 else f"{word}: {shown_codes}"
        shown = [rng.choice(lines[2:]) + f" {rng.randint(1, 9)}", head, lines[0], lines[1]]
    else:
        shown = [word, codes[0]]
    return Sample(
        file=f"screen_{index:03d}.jpg",
        codes=[ref(c) for c in codes],
        lang=lang,
        style=rng.choice(list(STYLES)),
        font=fonts[index % len(fonts)],
        display=display,
        shown=shown,
        defects=defects_for(rng, index),
    )


def jpeg(photo: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def generate(kind: str, folder: Path) -> list[Sample]:
    rng = random.Random(SEEDS[kind])
    folder.mkdir(parents=True, exist_ok=True)
    samples = []
    for index in range(COUNTS[kind]):
        sample = make_sample(index, rng, FONTS[kind])
        photo = compose(sample, rng)
        quality = rng.randint(25, 40) if "jpeg" in sample.defects else 85
        (folder / sample.file).write_bytes(jpeg(photo, quality))
        samples.append(sample)
    manifest = [asdict(s) | {"clean": s.clean} for s in samples]
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", action="store_true", help="make the held-out set")
    parser.add_argument("--out", type=Path, help="folder (default: tests/scan/images[_heldout])")
    args = parser.parse_args()
    kind = "heldout" if args.heldout else "test"
    folder = args.out or HERE / ("images_heldout" if args.heldout else "images")
    samples = generate(kind, folder)
    size = sum(p.stat().st_size for p in folder.glob("*.jpg"))
    codes = sum(len(s.codes) for s in samples)
    clean = sum(s.clean for s in samples)
    print(f"{len(samples)} photos in {folder} ({size / 1e6:.1f} MB), {clean} clean, {codes} codes")


if __name__ == "__main__":
    main()
