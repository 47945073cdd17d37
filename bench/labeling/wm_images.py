"""Test images for the watermark benchmark: public-domain / CC0 photos shipped inside installed
packages, plus self-made procedural pictures, all built offline at run time (nothing downloaded,
nothing stored in the repository). Each image carries its source and licence.

Real photos (each file's licence as its package states it):
- ``scikit-image`` wheel, ``skimage/data`` (licences quoted from the docstrings in
  ``skimage/data/_fetchers.py``);
- ``matplotlib`` wheel, ``mpl-data/sample_data/grace_hopper.jpg`` (US Navy photograph, public domain);
- Debian ``xplanet-images``: ``/usr/share/xplanet/images/earth.jpg`` and ``night.jpg`` (NASA Visible
  Earth, not copyrighted; see ``/usr/share/doc/xplanet-images/copyright``).

Self-made (``hegui bench``, CC0, generated from a seed here): landscapes, coloured noise textures,
out-of-focus "bokeh" scenes, rendered shapes, text documents, matplotlib charts.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SELF = "self-made procedural (hegui bench, seed {seed}); CC0"


@dataclass(frozen=True)
class TestImage:
    name: str
    source: str
    licence: str
    array: np.ndarray


# file name → licence as stated by scikit-image (skimage/data/_fetchers.py docstrings)
SKIMAGE = {
    "astronaut.png": "public domain (NASA; 'No known copyright restrictions, released into the public domain')",
    "brick.png": "CC0 (CC0Textures Bricks25)",
    "camera.png": "CC0 (photographer Lav Varshney)",
    "cell.png": "CC0 ('dedicated to the public domain')",
    "chelsea.png": "CC0 (photographer Stefan van der Walt)",
    "clock_motion.png": "public domain (photographer Stefan van der Walt)",
    "coffee.png": "CC0 (photographer Rachel Michetti)",
    "coins.png": "no known copyright restrictions (Walters Art Museum, public domain)",
    "grass.png": "CC0 (CC0Textures)",
    "gravel.png": "CC0 (CC0Textures Gravel04)",
    "hubble_deep_field.jpg": "public domain (NASA)",
    "ihc.png": "no known copyright restrictions (immunohistochemistry sample)",
    "retina.jpg": "CC0 1.0 (Häggström, public domain)",
    "rocket.jpg": "public domain (SpaceX)",
}


def _module_dir(mod: str) -> Path | None:
    try:
        m = __import__(mod, fromlist=["_"])
    except ImportError:
        return None
    return Path(m.__file__).parent  # type: ignore[arg-type]


def real_sources() -> list[tuple[Path, str, str]]:
    """(path, source description, licence) for every licence-clean photo found on this machine."""
    out: list[tuple[Path, str, str]] = []
    sk = _module_dir("skimage.data")
    if sk is not None:
        for f, lic in SKIMAGE.items():
            if (sk / f).is_file():
                out.append((sk / f, f"scikit-image wheel skimage/data/{f}", lic))
    mpl = _module_dir("matplotlib")
    if mpl is not None and (p := mpl / "mpl-data/sample_data/grace_hopper.jpg").is_file():
        out.append((p, "matplotlib wheel mpl-data/sample_data/grace_hopper.jpg",
                    "public domain (US Navy photograph of Grace Hopper)"))
    for f in ("earth.jpg", "night.jpg"):
        p = Path("/usr/share/xplanet/images") / f
        if p.is_file():
            out.append((p, f"Debian xplanet-images {p}", "NASA Visible Earth, not copyrighted (debian/copyright)"))
    return out


def _fit(img: Image.Image, longest: int) -> Image.Image:
    if max(img.size) <= longest:
        return img
    s = longest / max(img.size)
    return img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.Resampling.LANCZOS)


def real_images() -> list[TestImage]:
    out: list[TestImage] = []
    for path, src, lic in real_sources():
        with Image.open(path) as im:
            full = im.convert("RGB")
        rng = np.random.default_rng(int.from_bytes(hashlib.sha256(path.name.encode()).digest()[:4], "big"))
        out.append(TestImage(f"{path.name}:fit1280", src, lic, np.asarray(_fit(full, 1280))))
        # deterministic crops of up-/down-scaled versions: different framing, scale and size
        for scale, (cw, ch) in ((1.0, (384, 288)), (1.6, (512, 384)), (0.8, (320, 256)), (2.2, (640, 480))):
            big = full.resize((round(full.width * scale), round(full.height * scale)), Image.Resampling.LANCZOS)
            if big.width < cw + 8 or big.height < ch + 8:
                continue
            x, y = int(rng.integers(0, big.width - cw)), int(rng.integers(0, big.height - ch))
            out.append(TestImage(f"{path.name}:crop{cw}x{ch}@x{scale}", src, lic,
                                 np.asarray(big.crop((x, y, x + cw, y + ch)))))
    return out


# ---------------------------------------------------------------- procedural pictures
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


def landscape(rng: np.random.Generator) -> np.ndarray:
    h, w = _size(rng)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top, hor = _palette(rng, 2)
    img = top * (1 - y) + hor * y + np.zeros((1, w, 1), np.float32)
    clouds = _noise(rng, h, w, 6, 3)[..., None]
    img = img * (1 - 0.5 * clouds * (1 - y)) + 255 * 0.5 * clouds * (1 - y)
    layers = int(rng.integers(2, 5))
    for k in range(layers):
        ridge = _noise(rng, 1 + 8, w, 7, 3)[4] * h * 0.35 + h * (0.35 + 0.5 * k / layers)
        col = rng.random(3).astype(np.float32) * 160 * (1 - 0.6 * k / layers) + 20
        tex = _noise(rng, h, w, 7, 16)[..., None]
        mask = (np.arange(h)[:, None] > ridge[None, :])[..., None]
        shade = col * (0.6 + 0.8 * tex)
        img = np.where(mask, shade, img)
    img = np.asarray(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.2)))), np.float32)
    return _grain(rng, img, float(rng.uniform(1, 4)))


def texture(rng: np.random.Generator) -> np.ndarray:
    h, w = _size(rng)
    v = _noise(rng, h, w, int(rng.integers(4, 9)), int(rng.integers(2, 32)), float(rng.uniform(0.4, 0.8)))
    if rng.random() < 0.4:  # marble / wood style
        v = 0.5 + 0.5 * np.sin(v * rng.uniform(6, 30) + np.linspace(0, rng.uniform(0, 20), w)[None, :])
    return _grain(rng, _colorize(v, _palette(rng, int(rng.integers(2, 6)))), float(rng.uniform(0, 3)))


def bokeh(rng: np.random.Generator) -> np.ndarray:
    """Smooth, out-of-focus picture: the hardest case for any additive watermark."""
    h, w = _size(rng)
    base = _colorize(_noise(rng, h, w, 2, 2), _palette(rng, 3))
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img, "RGBA")
    for _ in range(int(rng.integers(10, 60))):
        r = float(rng.uniform(0.02, 0.12)) * w
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        c = tuple(int(v) for v in rng.integers(0, 256, 3)) + (int(rng.integers(40, 160)),)
        d.ellipse((x - r, y - r, x + r, y + r), fill=c)
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(4, 14))))
    return _grain(rng, np.asarray(img, np.float32), float(rng.uniform(0.8, 3)))


def shapes(rng: np.random.Generator) -> np.ndarray:
    h, w = _size(rng)
    bg = _colorize(_noise(rng, h, w, 5, 4), _palette(rng, 3))
    img = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8))
    for _ in range(int(rng.integers(5, 25))):
        layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        x0, y0 = rng.uniform(-0.1, 1, 2) * (w, h)
        x1, y1 = x0 + rng.uniform(0.05, 0.4) * w, y0 + rng.uniform(0.05, 0.4) * h
        c = tuple(int(v) for v in rng.integers(0, 256, 3)) + (255,)
        shadow = Image.new("RGBA", img.size, (0, 0, 0, 0))
        kind = int(rng.integers(0, 3))
        for dd, col, off in ((ImageDraw.Draw(shadow), (0, 0, 0, 90), 6), (d, c, 0)):
            box = (x0 + off, y0 + off, x1 + off, y1 + off)
            if kind == 0:
                dd.ellipse(box, fill=col)
            elif kind == 1:
                dd.rectangle(box, fill=col)
            else:
                dd.polygon([(x0 + off, y1 + off), ((x0 + x1) / 2 + off, y0 + off), (x1 + off, y1 + off)], fill=col)
        img = img.convert("RGBA")
        img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(5)))
        # shading: a vertical light gradient over the shape
        shade = np.asarray(layer, np.float32)
        g = np.linspace(1.15, 0.75, h, dtype=np.float32)[:, None, None]
        shade[..., :3] = np.clip(shade[..., :3] * g, 0, 255)
        img.alpha_composite(Image.fromarray(shade.astype(np.uint8), "RGBA"))
    arr = np.asarray(img.convert("RGB").filter(ImageFilter.GaussianBlur(0.6)), np.float32)
    return _grain(rng, arr, float(rng.uniform(0.5, 3)))


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


FAMILIES = {"landscape": (landscape, 40), "texture": (texture, 30), "bokeh": (bokeh, 20), "shapes": (shapes, 30),
            "document": (document, 15), "chart": (chart, 15)}


def synthetic_images() -> list[TestImage]:
    out: list[TestImage] = []
    for fam, (fn, count) in FAMILIES.items():
        for i in range(count):
            seed = int.from_bytes(hashlib.sha256(f"{fam}:{i}".encode()).digest()[:4], "big")
            arr = fn(np.random.default_rng(seed))
            out.append(TestImage(f"{fam}-{i:03d}", f"self-made {fam} (bench/labeling/wm_images.py)",
                                 SELF.format(seed=seed), arr))
    return out


def all_images(minimum: int = 200) -> list[TestImage]:
    imgs = [t for t in real_images() + synthetic_images() if min(t.array.shape[:2]) >= 256]
    if len(imgs) < minimum:
        raise SystemExit(f"only {len(imgs)} test images found (need >= {minimum}): install scikit-image and "
                         "matplotlib into the venv and the Debian package xplanet-images")
    return imgs
