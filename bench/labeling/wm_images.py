"""Test images for the watermark benchmark, built offline at run time (nothing downloaded, nothing
stored in the repository): independent real photographs that installed packages ship, plus rendered
documents, tables, charts and user interfaces (``wm_rendered.py``). Each image carries its source and
licence; the photos are used here only, never redistributed.

Photos (one image per source picture; duplicates — the same wallpaper at several resolutions, the
same picture in two packages — are removed by perceptual hash, the largest copy kept):
- Debian wallpaper packages (``scripts/setup.sh --bench``): plasma-workspace-wallpapers (GPL-2+),
  mate-backgrounds (GPL-2+ / CC-BY-SA-4.0), lomiri-wallpapers-16.04 and -20.04 (CC-BY / CC-BY-SA /
  CC0, per file in the package's copyright), ukui-wallpapers (CC-BY-SA-3.0); some wallpapers are
  renders or abstract art, not photos (the manifest names every file);
- Debian stellarium-data (GPL-2+): the deep-sky photographs (``nebulae/default``) and the landscape
  panoramas; Debian tuxpaint-stamps-default (GPL-2): the photographic stamps (≥ 256 px, many colours),
  flattened on a plain background; Debian xplanet-images (NASA Visible Earth, not copyrighted);
- Python wheels: scikit-image ``skimage/data`` (licences quoted from ``_fetchers.py``), scikit-learn
  ``datasets/images`` (CC-BY-2.0, Flickr), PyWavelets ``data/aero.npz``, matplotlib ``grace_hopper.jpg``
  (US Navy, public domain).
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from wm_rendered import RENDERED, _module_dir  # noqa: E402

SELF = "rendered here (bench/labeling/wm_rendered.py, seed {seed}); CC0"
#: longest side of a test photo (bigger ones are fitted; keeps the 2-core run near 20 minutes)
LONGEST = 1024
#: most photos taken from one group (spread evenly over it), so no single genre dominates
GROUP_CAP = {"stellarium nebulae": 90}
#: groups whose files are parts of one picture (panorama tiles): only the largest file per folder counts
ONE_PER_FOLDER = {"stellarium landscapes"}


@dataclass(frozen=True)
class TestImage:
    name: str
    source: str
    licence: str
    array: np.ndarray
    family: str = "photo"


SKIMAGE = {
    "astronaut.png": "public domain (NASA)", "brick.png": "CC0 (CC0Textures)", "camera.png": "CC0 (Lav Varshney)",
    "cell.png": "CC0", "chelsea.png": "CC0 (Stefan van der Walt)", "clock_motion.png": "public domain",
    "coffee.png": "CC0 (Rachel Michetti)", "coins.png": "public domain (Walters Art Museum)",
    "grass.png": "CC0 (CC0Textures)", "gravel.png": "CC0 (CC0Textures)", "hubble_deep_field.jpg": "public domain (NASA)",
    "ihc.png": "no known copyright restrictions", "retina.jpg": "CC0 1.0 (Häggström)", "rocket.jpg": "public domain (SpaceX)",
}
# (group, glob under /usr/share, Debian package, licence as the package's copyright file states it)
DEBIAN = [
    ("wallpaper", "wallpapers/*/contents/images*/*.jpg", "plasma-workspace-wallpapers", "GPL-2+"),
    ("wallpaper", "wallpapers/*/contents/images*/*.png", "plasma-workspace-wallpapers", "GPL-2+"),
    ("wallpaper", "backgrounds/mate/*/*.jpg", "mate-backgrounds", "GPL-2+ or CC-BY-SA-4.0"),
    ("wallpaper", "backgrounds/*.jpg", "lomiri-wallpapers-16.04/-20.04, ukui-wallpapers",
     "CC-BY / CC-BY-SA / CC0 (per file, debian/copyright)"),
    ("stellarium nebulae", "stellarium/nebulae/default/*.png", "stellarium-data", "GPL-2+"),
    ("stellarium landscapes", "stellarium/landscapes/*/*.png", "stellarium-data", "GPL-2+"),
    ("tuxpaint stamps", "tuxpaint/stamps/*/*.png", "tuxpaint-stamps-default", "GPL-2"),
    ("tuxpaint stamps", "tuxpaint/stamps/*/*/*.png", "tuxpaint-stamps-default", "GPL-2"),
    ("earth", "xplanet/images/*.jpg", "xplanet-images", "NASA Visible Earth, not copyrighted"),
]


def photo_sources() -> list[tuple[str, Path, str, str]]:
    """(group, path, source, licence) of every candidate photo file on this machine."""
    out: list[tuple[str, Path, str, str]] = []
    for group, pattern, pkg, lic in DEBIAN:
        for p in sorted(Path("/usr/share").glob(pattern)):
            out.append((group, p, f"Debian {pkg} {p}", lic))
    sk = _module_dir("skimage.data")
    for f, lic in SKIMAGE.items():
        if sk is not None and (sk / f).is_file():
            out.append(("python wheels", sk / f, f"scikit-image wheel skimage/data/{f}", lic))
    skl = _module_dir("sklearn.datasets")
    for f in ("china.jpg", "flower.jpg"):
        if skl is not None and (skl / "images" / f).is_file():
            out.append(("python wheels", skl / "images" / f, f"scikit-learn wheel datasets/images/{f}", "CC-BY-2.0"))
    pw = _module_dir("pywt")
    if pw is not None and (pw / "data/aero.npz").is_file():
        out.append(("python wheels", pw / "data/aero.npz", "PyWavelets wheel pywt/data/aero.npz", "see PyWavelets data README"))
    mpl = _module_dir("matplotlib")
    if mpl is not None and (mpl / "mpl-data/sample_data/grace_hopper.jpg").is_file():
        out.append(("python wheels", mpl / "mpl-data/sample_data/grace_hopper.jpg",
                    "matplotlib wheel sample_data/grace_hopper.jpg", "public domain (US Navy)"))
    return out


def _load(path: Path) -> Image.Image | None:
    if path.suffix == ".npz":
        with np.load(path) as z:
            a = z[z.files[0]]
        return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).convert("RGB")
    with Image.open(path) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "P"):
            rgba = im.convert("RGBA")
            if rgba.getchannel("A").getextrema()[0] < 250:  # cut-out: flatten on a plain light background
                bg = Image.new("RGBA", rgba.size, (236, 233, 228, 255))
                bg.alpha_composite(rgba)
                return bg.convert("RGB")
            return rgba.convert("RGB")
        return im.convert("RGB")


def _is_photo_like(group: str, img: Image.Image) -> bool:
    if min(img.size) < 256:
        return False
    if group == "tuxpaint stamps":  # drawn stamps have few colours; photographic ones have thousands
        a = np.asarray(img.reduce(2)).reshape(-1, 3)
        return len(np.unique(a, axis=0)) > 3000
    return True


def _fit(img: Image.Image, longest: int = LONGEST) -> Image.Image:
    if max(img.size) <= longest:
        return img
    s = longest / max(img.size)
    return img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.Resampling.LANCZOS)


def photos() -> list[TestImage]:
    """Independent photos: largest copy first, any image within 10 bits (pHash, 64 bit) of a kept one dropped."""
    import imagehash

    cands = []
    for group, path, src, lic in photo_sources():
        try:
            img = _load(path)
        except (OSError, ValueError):
            continue
        if img is None or not _is_photo_like(group, img) or "fog" in path.name:
            continue
        cands.append((group, path, src, lic, img))
    cands.sort(key=lambda c: (-c[4].width * c[4].height, str(c[1])))
    kept: list[tuple[str, Path, str, str, Image.Image]] = []
    hashes: list[imagehash.ImageHash] = []
    folders: set[Path] = set()
    for c in cands:
        if c[0] in ONE_PER_FOLDER:
            if c[1].parent in folders:
                continue
            folders.add(c[1].parent)
        h = imagehash.phash(c[4])
        if all(h - k > 10 for k in hashes):
            kept.append(c)
            hashes.append(h)
    out: list[TestImage] = []
    for group in sorted({c[0] for c in kept}):
        items = sorted((c for c in kept if c[0] == group), key=lambda c: str(c[1]))
        cap = GROUP_CAP.get(group, len(items))
        items = items[:: max(1, len(items) // cap)][:cap] if len(items) > cap else items
        for _, path, src, lic, img in items:
            out.append(TestImage(f"{path.parent.name}/{path.name}", src, lic, np.asarray(_fit(img)), group))
    return out


def rendered() -> list[TestImage]:
    out: list[TestImage] = []
    for fam, (fn, count) in RENDERED.items():
        for i in range(count):
            seed = int.from_bytes(hashlib.sha256(f"{fam}:{i}".encode()).digest()[:4], "big")
            out.append(TestImage(f"{fam}-{i:03d}", f"rendered {fam} (bench/labeling/wm_rendered.py)",
                                 SELF.format(seed=seed), fn(np.random.default_rng(seed)), fam))
    return out


def all_images(minimum_photos: int = 200) -> list[TestImage]:
    ph = photos()
    if len(ph) < minimum_photos:
        raise SystemExit(f"only {len(ph)} independent photos found (need >= {minimum_photos}): run "
                         "scripts/setup.sh --bench as root (Debian photo packages) and pip install -e '.[bench]'")
    return ph + [t for t in rendered() if min(t.array.shape[:2]) >= 256]
