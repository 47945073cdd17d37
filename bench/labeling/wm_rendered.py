"""Rendered test images for the watermark benchmark: text pages, tables, matplotlib charts and
screenshot-like user interfaces (the flat, hard case for an additive watermark). Made here from a seed
(CC0, nothing downloaded); fonts: DejaVu from the matplotlib wheel."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def _module_dir(mod: str):  # noqa: ANN202
    from pathlib import Path

    try:
        m = __import__(mod, fromlist=["_"])
    except ImportError:
        return None
    return Path(m.__file__).parent


def _noise(rng: np.random.Generator, h: int, w: int, octaves: int = 6, base: int = 4, gain: float = 0.55) -> np.ndarray:
    """Fractal value noise in [0, 1] (sum of bicubically upsampled random grids)."""
    acc = np.zeros((h, w), dtype=np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        n = base * 2 ** o
        g = rng.random((max(2, n * h // max(h, w)) + 1, max(2, n * w // max(h, w)) + 1)).astype(np.float32)
        acc += amp * np.asarray(Image.fromarray(g).resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32)
        tot += amp
        amp *= gain
    acc /= tot
    lo, hi = np.percentile(acc, (1, 99))
    return np.clip((acc - lo) / (hi - lo + 1e-6), 0, 1)


def _palette(rng: np.random.Generator, k: int = 4) -> np.ndarray:
    return rng.random((k, 3)).astype(np.float32) * 255


def _colorize(v: np.ndarray, pal: np.ndarray) -> np.ndarray:
    x = v * (len(pal) - 1)
    i = np.clip(x.astype(int), 0, len(pal) - 2)
    f = (x - i)[..., None]
    return pal[i] * (1 - f) + pal[i + 1] * f


def _grain(rng: np.random.Generator, a: np.ndarray, sigma: float) -> np.ndarray:
    return np.clip(a + rng.normal(0, sigma, a.shape[:2])[..., None], 0, 255).astype(np.uint8)


def _size(rng: np.random.Generator) -> tuple[int, int]:
    w = int(rng.choice([384, 512, 640, 768, 960, 1024, 1280]))
    ratio = float(rng.choice([0.5625, 0.667, 0.75, 1.0, 1.333]))
    return max(256, int(w * ratio) // 8 * 8), w


_WORDS = ("the of watermark image content generated service label model data user record policy review "
          "safety training filing algorithm measure article standard annex report audit quality test "
          "robust payload detector 2025 GB 45438 TC260 %").split()


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    mpl = _module_dir("matplotlib")
    if mpl is not None:
        f = mpl / "mpl-data/fonts/ttf" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSerif.ttf")
        if f.is_file():
            return ImageFont.truetype(str(f), size)
    return ImageFont.load_default(size)


def document(rng: np.random.Generator) -> np.ndarray:
    """A rendered text page (screenshot-like): mostly flat paper."""
    h, w = _size(rng)
    paper = tuple(int(v) for v in (255 - rng.integers(0, 30, 3)))
    img = Image.new("RGB", (w, h), paper)
    d = ImageDraw.Draw(img)
    size = int(rng.integers(11, 22))
    body, head = _font(size), _font(int(size * 1.6), bold=True)
    y, margin = int(rng.integers(10, 40)), int(rng.integers(12, 60))
    d.text((margin, y), " ".join(rng.choice(_WORDS, 4)).title(), font=head, fill=(20, 20, 60))
    y += int(size * 2.6)
    while y < h - size * 2:
        if rng.random() < 0.12:  # a coloured box or a small picture
            bh = int(rng.integers(size * 3, size * 9))
            c = tuple(int(v) for v in rng.integers(60, 240, 3))
            d.rectangle((margin, y, w - margin, y + bh), fill=c, outline=(0, 0, 0))
            y += bh + size
            continue
        line, x = [], margin
        while True:
            word = str(rng.choice(_WORDS))
            x += int(d.textlength(word + " ", font=body))
            if x > w - margin:
                break
            line.append(word)
        d.text((margin, y), " ".join(line), font=body, fill=(int(rng.integers(0, 60)),) * 3)
        y += int(size * 1.5)
    return np.asarray(img)


def chart(rng: np.random.Generator) -> np.ndarray:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h, w = _size(rng)
    fig = plt.figure(figsize=(w / 100, h / 100), dpi=100)
    ax = fig.add_subplot(111)
    kind = int(rng.integers(0, 5))
    x = np.linspace(0, 10, 200)
    if kind == 0:
        for _ in range(int(rng.integers(1, 5))):
            ax.plot(x, np.cumsum(rng.normal(0, 1, x.size)), lw=float(rng.uniform(1, 3)))
        ax.grid(True)
    elif kind == 1:
        ax.bar(range(12), rng.random(12) * 10, color=plt.cm.tab20(rng.random(12)))
    elif kind == 2:
        n = int(rng.integers(100, 2000))
        ax.scatter(rng.normal(0, 1, n), rng.normal(0, 1, n), c=rng.random(n), s=float(rng.uniform(4, 40)),
                   cmap=str(rng.choice(["viridis", "plasma", "coolwarm", "magma"])), alpha=0.7)
    elif kind == 3:
        ax.imshow(_noise(rng, 64, 64, 4, 2), cmap=str(rng.choice(["viridis", "inferno", "gray", "terrain"])),
                  aspect="auto")
    else:
        xx, yy = np.meshgrid(np.linspace(-3, 3, 200), np.linspace(-3, 3, 200))
        zz = np.sin(xx * rng.uniform(0.5, 2)) * np.cos(yy * rng.uniform(0.5, 2)) + 0.3 * xx
        ax.contourf(xx, yy, zz, levels=int(rng.integers(6, 20)), cmap=str(rng.choice(["RdBu", "cividis", "Spectral"])))
    ax.set_title(" ".join(rng.choice(_WORDS, 3)))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return np.asarray(Image.open(buf).convert("RGB"))


def table(rng: np.random.Generator) -> np.ndarray:
    """A spreadsheet-like page: header row, ruled grid, numbers, some shaded rows."""
    h, w = _size(rng)
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    size = int(rng.integers(11, 18))
    font, bold = _font(size), _font(size, bold=True)
    cols = int(rng.integers(3, 8))
    row_h, x0, y = int(size * 1.9), int(rng.integers(8, 40)), int(rng.integers(8, 40))
    cw = (w - 2 * x0) // cols
    head = tuple(int(v) for v in rng.integers(40, 200, 3))
    stripe = tuple(int(v) for v in (255 - rng.integers(5, 30, 3)))
    r = 0
    while y + row_h < h - 8:
        fill = head if r == 0 else (stripe if r % 2 == 0 and rng.random() < 0.8 else (255, 255, 255))
        d.rectangle((x0, y, x0 + cols * cw, y + row_h), fill=fill, outline=(180, 180, 180))
        for c in range(cols):
            txt = str(rng.choice(_WORDS)).title() if r == 0 or c == 0 else f"{rng.normal(0, 1e4):,.2f}"
            d.text((x0 + c * cw + 4, y + 3), txt, font=bold if r == 0 else font,
                   fill=(255, 255, 255) if r == 0 else (20, 20, 20))
            d.line((x0 + c * cw, y, x0 + c * cw, y + row_h), fill=(180, 180, 180))
        y, r = y + row_h, r + 1
    return np.asarray(img)


def ui(rng: np.random.Generator) -> np.ndarray:
    """A screenshot-like application window: title bar, sidebar, buttons, text fields, a list."""
    h, w = _size(rng)
    dark = rng.random() < 0.3
    bg = (32, 33, 36) if dark else (246, 247, 249)
    fg = (230, 230, 230) if dark else (30, 30, 30)
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    font = _font(int(rng.integers(11, 16)))
    accent = tuple(int(v) for v in rng.integers(30, 220, 3))
    d.rectangle((0, 0, w, 32), fill=(60, 60, 66) if dark else (225, 227, 231))
    for i, c in enumerate(((237, 106, 94), (245, 191, 79), (98, 197, 84))):
        d.ellipse((10 + 20 * i, 10, 22 + 20 * i, 22), fill=c)
    side = int(w * rng.uniform(0.15, 0.28))
    d.rectangle((0, 32, side, h), fill=(44, 45, 49) if dark else (236, 238, 241))
    for i in range(int((h - 50) // 30)):
        if i == 2:
            d.rectangle((6, 44 + 30 * i, side - 6, 68 + 30 * i), fill=accent)
        d.text((16, 48 + 30 * i), str(rng.choice(_WORDS)).title(), font=font, fill=fg)
    y = 50
    while y < h - 60:
        kind = rng.random()
        if kind < 0.3:  # a row of buttons
            x = side + 20
            for _ in range(int(rng.integers(1, 4))):
                bw = int(rng.integers(70, 140))
                d.rounded_rectangle((x, y, x + bw, y + 30), radius=6, fill=accent)
                d.text((x + 10, y + 8), str(rng.choice(_WORDS)).title(), font=font, fill=(255, 255, 255))
                x += bw + 12
            y += 48
        elif kind < 0.6:  # a labelled text field
            d.text((side + 20, y), str(rng.choice(_WORDS)).title() + ":", font=font, fill=fg)
            d.rounded_rectangle((side + 140, y - 4, w - 30, y + 24), radius=4,
                                fill=(24, 24, 26) if dark else (255, 255, 255), outline=(150, 150, 150))
            d.text((side + 148, y), " ".join(rng.choice(_WORDS, 3)), font=font, fill=fg)
            y += 44
        else:  # list rows with separators
            for _ in range(int(rng.integers(2, 6))):
                d.text((side + 20, y), " ".join(rng.choice(_WORDS, int(rng.integers(3, 9)))), font=font, fill=fg)
                d.line((side + 20, y + 24, w - 30, y + 24), fill=(80, 80, 80) if dark else (210, 210, 210))
                y += 30
            y += 12
    return np.asarray(img)


#: family → (generator, count)
RENDERED = {"document": (document, 25), "table": (table, 15), "chart": (chart, 25), "ui": (ui, 15)}
