"""Equal-error rate and the shipped operating point of the likeness registry (Deep Synthesis
Provisions Art 14: "blocked above a calibrated threshold").

    OMP_NUM_THREADS=1 PYTHONPATH=src python bench/likeness/eer.py [--calibrate] [--faces DIR]

Voices (all legally usable, generated here, nothing downloaded):
- ``espeak``: espeak-ng's English voice with its variants (m1…m7, f1…f5, klatt…) as distinct
  "speakers". SYNTHETIC: every variant is the same formant synthesiser with other pitch/formant
  settings, so this says little about real people.
- ``festival``: the Festival voices packaged by Debian (``apt-get install festival festvox-kallpc16k
  festvox-kdlpc16k festvox-us-slt-hts festvox-czech-{dita,krb,machac,ph} festvox-suopuhe-{lj,mv}
  festvox-italp16k festvox-itapc16k festvox-ru``): diphone / unit-selection / HTS voices built from
  recordings of 12 different real people, resynthesised (not natural speech).
- ``alsa-utils``: the nine spoken channel names in ``/usr/share/sounds/alsa`` (Debian package
  alsa-utils, GPL-2): natural recorded speech of one person, ~1.4 s each ("Noise.wav" skipped);
  held out, paired against the festival held-out speakers as impostors.
Faces (``--faces`` = the ``tests/test_images`` folder of the face_recognition 1.3.0 sdist, MIT; the
photographs appear to be official White House photographs, i.e. US federal works, public domain in
the US) plus scikit-image's ``astronaut`` (NASA, public domain): 2 identities with ≥ 2 images.

Speakers are split in two halves (alternating in a fixed order): the threshold is calibrated at
the EER of the *calibration* half; the table reports the *held-out* half. Genuine pairs are the
same speaker saying different texts; impostor pairs are different speakers.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from hegui.likeness.registry import THRESHOLDS_FILE, Thresholds  # noqa: E402
from hegui.likeness.speaker import SpeakerEncoder  # noqa: E402

EN_TEXTS = [
    "Please call Stella and ask her to bring these things with her from the store.",
    "The quick brown fox jumps over the lazy dog near the river bank this morning.",
    "We will meet at the station at half past seven and take the early train north.",
    "A rainbow appears when sunlight is refracted by drops of water in the air.",
    "My grandmother keeps a small garden with tomatoes, beans and a few roses.",
]
FESTIVAL_TEXTS = {
    "en": EN_TEXTS,
    "cs": ["Dobrý den, jak se máte? Dnes je opravdu krásné počasí.",
           "Vlak do Prahy odjíždí v sedm hodin ráno z prvního nástupiště.",
           "Moje babička má malou zahradu s rajčaty a fazolemi.",
           "Zítra půjdeme do kina a potom na večeři do restaurace.",
           "Kniha leží na stole vedle okna v obývacím pokoji."],
    "fi": ["Hyvää päivää, mitä kuuluu? Tänään on todella kaunis ilma.",
           "Juna Helsinkiin lähtee seitsemältä aamulla ensimmäiseltä laiturilta.",
           "Isoäidilläni on pieni puutarha, jossa kasvaa tomaatteja ja papuja.",
           "Huomenna menemme elokuviin ja sen jälkeen syömään ravintolaan.",
           "Kirja on pöydällä ikkunan vieressä olohuoneessa."],
    "it": ["Buongiorno, come sta? Oggi il tempo è davvero molto bello.",
           "Il treno per Roma parte alle sette del mattino dal primo binario.",
           "Mia nonna ha un piccolo giardino con pomodori e fagioli.",
           "Domani andiamo al cinema e poi a cena al ristorante.",
           "Il libro è sul tavolo vicino alla finestra del soggiorno."],
    "ru": ["Добрый день, как дела? Сегодня очень хорошая погода.",
           "Поезд в Москву отправляется в семь часов утра с первой платформы.",
           "У моей бабушки есть маленький сад с помидорами и фасолью.",
           "Завтра мы пойдём в кино, а потом поужинаем в ресторане.",
           "Книга лежит на столе у окна в гостиной."],
}
#: voice → (language, encoding text2wave expects)
FESTIVAL_VOICES = {
    "kal_diphone": ("en", "utf-8"), "ked_diphone": ("en", "utf-8"), "cmu_us_slt_arctic_hts": ("en", "utf-8"),
    "czech_dita": ("cs", "iso-8859-2"), "czech_krb": ("cs", "iso-8859-2"), "czech_machac": ("cs", "iso-8859-2"),
    "czech_ph": ("cs", "iso-8859-2"), "suo_fi_lj_diphone": ("fi", "iso-8859-1"),
    "hy_fi_mv_diphone": ("fi", "iso-8859-1"), "lp_diphone": ("it", "iso-8859-1"), "pc_diphone": ("it", "iso-8859-1"),
    "msu_ru_nsh_clunits": ("ru", "utf-8"),
}
ESPEAK_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
                   "klatt3", "klatt4", "croak", "whisper", "Andy", "Annie", "Denis", "Gene", "Lee", "Mario",
                   "Michael", "Storm", "antonio", "belinda", "boris", "david", "edward", "iven", "john",
                   "linda", "max", "norbert", "paul", "pedro", "robert", "steph", "zac", "quincy"]


def _espeak_variants() -> list[str]:
    """The variants above that this espeak-ng has (an unknown one silently falls back to the base voice)."""
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    data = version.split("Data at:")[-1].strip()
    return [v for v in ESPEAK_VARIANTS if (Path(data) / "voices" / "!v" / v).is_file()]


def _speak_espeak(variant: str, text: str, out: Path) -> bool:
    proc = subprocess.run(["espeak-ng", "-v", f"en+{variant}", "-w", str(out), text], capture_output=True)
    return proc.returncode == 0 and out.exists() and out.stat().st_size > 1000


def _speak_festival(voice: str, text: str, enc: str, out: Path) -> bool:
    proc = subprocess.run(["text2wave", "-eval", f"(voice_{voice})", "-o", str(out)],
                          input=text.encode(enc, "replace"), capture_output=True, timeout=120)
    return proc.returncode == 0 and out.exists() and out.stat().st_size > 1000


def voice_sets(tmp: Path) -> dict[str, dict[str, list[bytes]]]:
    """source → speaker → clips (one per text)."""
    sets: dict[str, dict[str, list[bytes]]] = {"espeak": {}, "festival": {}}
    for variant in _espeak_variants():
        clips = []
        for i, text in enumerate(EN_TEXTS):
            out = tmp / f"es_{variant.replace(' ', '_')}_{i}.wav"
            if _speak_espeak(variant, text, out):
                clips.append(out.read_bytes())
        if len(clips) >= 2:
            sets["espeak"][variant] = clips
    if shutil.which("text2wave"):
        for voice, (lang, enc) in FESTIVAL_VOICES.items():
            clips = []
            for i, text in enumerate(FESTIVAL_TEXTS[lang]):
                out = tmp / f"fe_{voice}_{i}.wav"
                if _speak_festival(voice, text, enc, out):
                    clips.append(out.read_bytes())
            if len(clips) >= 2:
                sets["festival"][voice] = clips
    else:
        print("festival is not installed: its rows are skipped / 未安装 festival，跳过", file=sys.stderr)
    return {k: v for k, v in sets.items() if v}


def _score(registered: np.ndarray, query: np.ndarray) -> float:
    """As ``LikenessRegistry.match``: the entry's one vector (a face image: its most confident face)
    against every vector of the query (every face found), best cosine."""
    entry = registered if registered.ndim == 1 else registered[0]
    return float(np.max(np.atleast_2d(query) @ entry))


def pairs(emb: dict[str, list[np.ndarray]], identity: dict[str, str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Genuine (within a set) and impostor (across identities) cosine scores, each pair once;
    sets of the same ``identity`` are never paired as impostors."""
    who = identity or {k: k for k in emb}
    genuine = [_score(a, b) for vs in emb.values() for a, b in itertools.combinations(vs, 2)]
    impostor = [_score(a, b) for (ka, va), (kb, vb) in itertools.combinations(emb.items(), 2)
                if who[ka] != who[kb] for a in va for b in vb]
    return np.array(genuine), np.array(impostor)


def eer(genuine: np.ndarray, impostor: np.ndarray) -> tuple[float, float]:
    """(EER, threshold at EER): FAR = impostors ≥ t, FRR = genuines < t, swept over all scores."""
    cands = np.unique(np.concatenate([genuine, impostor]))
    best = (2.0, 0.0, 0.0)
    for t in cands:
        far, frr = float(np.mean(impostor >= t)), float(np.mean(genuine < t))
        if abs(far - frr) < best[0]:
            best = (abs(far - frr), (far + frr) / 2, float(t))
    return best[1], best[2]


def rates(genuine: np.ndarray, impostor: np.ndarray, t: float) -> tuple[float, float, float, float]:
    """FAR and FRR at ``t``, then the lowest genuine and highest impostor score."""
    return (float(np.mean(impostor >= t)), float(np.mean(genuine < t)), float(genuine.min()),
            float(impostor.max()))


def split(emb: dict[str, list[np.ndarray]]) -> tuple[dict, dict]:
    names = sorted(emb)
    return ({n: emb[n] for n in names[0::2]}, {n: emb[n] for n in names[1::2]})


def face_sets(faces_dir: Path | None) -> tuple[dict[str, list[bytes]], dict[str, list[bytes]], dict[str, str]]:
    """(independent photographs per identity, augmented copies per source image, source → identity)."""
    from PIL import Image, ImageEnhance, ImageOps

    ident: dict[str, list[bytes]] = {}
    if faces_dir is not None:
        for path in sorted(faces_dir.glob("*.jpg")):
            if "partial" in path.name:
                continue  # crops of another test image: not independent
            who = "".join(c for c in path.stem if c.isalpha())
            ident.setdefault(who, []).append(path.read_bytes())
    try:
        import skimage

        astro = Path(skimage.__file__).parent / "data" / "astronaut.png"
        ident["collins"] = [astro.read_bytes()]
    except ImportError:
        pass
    augmented: dict[str, list[bytes]] = {}
    source_of: dict[str, str] = {}
    for who, images in ident.items():
        for k, data in enumerate(images):
            img = Image.open(io.BytesIO(data)).convert("RGB")
            variants = [ImageOps.mirror(img), img.resize((img.width // 2, img.height // 2)),
                        ImageEnhance.Brightness(img).enhance(0.6), img.rotate(8, expand=True)]
            blobs = [data]
            for v in variants:
                buf = io.BytesIO()
                v.save(buf, "JPEG", quality=40)
                blobs.append(buf.getvalue())
            augmented[f"{who}{k}"] = blobs
            source_of[f"{who}{k}"] = who
    return ident, augmented, source_of


def _face_emb(enc, sets: dict[str, list[bytes]]) -> dict[str, list[np.ndarray]]:  # noqa: ANN001
    out: dict[str, list[np.ndarray]] = {}
    for who, images in sets.items():
        vs = [np.stack([x.vector for x in f]) for f in (enc.embed_faces(b) for b in images) if f]
        if vs:
            out[who] = vs
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibrate", action="store_true", help="write the voice threshold to thresholds.yaml")
    ap.add_argument("--faces", type=Path, default=None, help="face_recognition sdist tests/test_images folder")
    ap.add_argument("--alsa-sounds", type=Path, default=Path("/usr/share/sounds/alsa"),
                    help="alsa-utils' spoken channel names (one natural speaker), held out from calibration")
    ap.add_argument("--only", choices=("voice", "face"), default=None, help="measure one kind only")
    args = ap.parse_args()
    if args.calibrate and args.only == "face":
        raise SystemExit("--calibrate needs the voice measurements")
    shipped = Thresholds.load()
    speaker = SpeakerEncoder.load()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sets = voice_sets(Path(tmp)) if args.only != "face" else {}
    embs = {src: {spk: [speaker.embed_file(c) for c in clips] for spk, clips in spks.items()}
            for src, spks in sets.items()}
    print(f"voices 声音: {', '.join(f'{k} {len(v)} speakers' for k, v in embs.items())}", file=sys.stderr)
    cal_g, cal_i = [], []
    for src, emb in embs.items():
        cal, held = split(emb)
        g, i = pairs(cal)
        cal_g.append(g)
        cal_i.append(i)
        hg, hi = pairs(held)
        e, t = eer(hg, hi)
        rows.append(("voice", f"{src} held-out ({len(held)} spk)", f"{len(hg)}+{len(hi)}", e, t,
                     *rates(hg, hi, shipped.voice)))
    natural = sorted(p for p in args.alsa_sounds.glob("*.wav") if p.stem != "Noise") if args.only != "face" else []
    if len(natural) >= 2 and embs.get("festival"):
        own = [speaker.embed_file(p.read_bytes()) for p in natural]
        _, held = split(embs["festival"])
        ng = np.array([_score(a, b) for a, b in itertools.combinations(own, 2)])
        ni = np.array([_score(a, b) for a in own for vs in held.values() for b in vs])
        rows.append(("voice", f"natural speech: alsa-utils speaker ({len(own)} clips ~1.4 s) vs festival held-out",
                     f"{len(ng)}+{len(ni)}", *eer(ng, ni), *rates(ng, ni, shipped.voice)))
        # the same speaker with ~5.5 s per side: 4 clips joined vs the other 4 (every split once)
        from hegui.likeness.speaker import SAMPLE_RATE, decode_audio

        waves = [decode_audio(p.read_bytes()) for p in natural]
        half = len(waves) // 2
        splits = [(a, [i for i in range(len(waves)) if i not in a]) for a in itertools.combinations(range(len(waves)), half)
                  if 0 in a]
        joined = [(speaker.embed(np.concatenate([waves[i] for i in a]), SAMPLE_RATE),
                   speaker.embed(np.concatenate([waves[i] for i in b]), SAMPLE_RATE)) for a, b in splits]
        jg = np.array([float(x @ y) for x, y in joined])
        ji = np.array([_score(x, b) for x, _ in joined for vs in held.values() for b in vs])
        rows.append(("voice", f"natural speech: same speaker, {half} clips joined (~5.5 s) per side", f"{len(jg)}+{len(ji)}",
                     *eer(jg, ji), *rates(jg, ji, shipped.voice)))
    cal_t = shipped.voice
    if cal_g:
        cal_eer, cal_t = eer(np.concatenate(cal_g), np.concatenate(cal_i))
        rows.append(("voice", "all calibration halves", f"{sum(map(len, cal_g))}+{sum(map(len, cal_i))}",
                     cal_eer, cal_t, *rates(np.concatenate(cal_g), np.concatenate(cal_i), shipped.voice)))
    from hegui.likeness.face import FaceEncoder

    face = FaceEncoder.load()
    ident, augmented, source_of = face_sets(args.faces) if args.only != "voice" else ({}, {}, {})
    fe = _face_emb(face, ident)
    g, i = pairs(fe)
    if len(g) and len(i):
        rows.append(("face", f"independent photos ({len(fe)} ids, {sum(map(len, fe.values()))} imgs)",
                     f"{len(g)}+{len(i)}", *eer(g, i), *rates(g, i, shipped.face)))
    ag, ai = pairs(_face_emb(face, augmented), source_of)
    if len(ag) and len(ai):
        rows.append(("face", "augmented copies (NOT independent)", f"{len(ag)}+{len(ai)}", *eer(ag, ai),
                     *rates(ag, ai, shipped.face)))
    print("| kind | data | pairs (genuine+impostor) | EER | threshold at EER | FAR at shipped | FRR at shipped "
          "| lowest genuine / highest impostor |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, data, n, e, t, far, frr, lo, hi in rows:
        print(f"| {kind} | {data} | {n} | {e:.3f} | {t:.3f} | {far:.3f} | {frr:.3f} | {lo:.3f} / {hi:.3f} |")
    print(f"\nshipped operating points 当前阈值: voice {shipped.voice:.3f}, face {shipped.face:.3f} ({shipped.source})")
    print(f"calibrated voice threshold (EER of the calibration halves) 校准阈值: {cal_t:.3f}")
    if args.calibrate:
        import re

        from hegui.fileio import write_atomic

        text = THRESHOLDS_FILE.read_text(encoding="utf-8")
        text, n = re.subn(r"(?m)^(voice:\n(?:  .*\n)*?  threshold: )[-0-9.]+", rf"\g<1>{cal_t:.3f}", text)
        if n != 1:
            raise SystemExit(f"{THRESHOLDS_FILE}: no voice.threshold line to update")
        write_atomic(THRESHOLDS_FILE, text)
        print(f"wrote {THRESHOLDS_FILE}: voice.threshold = {cal_t:.3f}")

if __name__ == "__main__":
    main()
