"""Fingerprints of the regeneration blocklist: normalisation, exact, distinctive shingles, pHash."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from hegui.cases.blocklist import Blocklist
from hegui.cases.textprint import normalise
from hegui.cases.config import load_config
from hegui.storage.all_models import load_all
from hegui.storage.db import Database

TEXT = "网传某地发生强烈地震，死亡人数超过一万人，政府隐瞒不报。此消息纯属捏造，请勿转发。"


@pytest.fixture
def bl(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/b.db")
    load_all().metadata.create_all(db.engine)
    b = Blocklist(db, load_config().blocklist, ("【AI生成】",))
    yield b
    db.dispose()


def _add(bl, entry) -> None:
    with bl.db.session() as s:
        s.add(entry)
    bl.invalidate()


def test_normalise_drops_labels_case_width_and_punctuation():
    assert normalise("【AI生成】Ｈｅｌｌｏ， World！", ("【AI生成】",)) == "helloworld"


def test_exact_near_and_unrelated(bl):
    _add(bl, bl.text_entry("【AI生成】" + TEXT, "takedown"))
    assert bl.match_text(TEXT).kind == "exact"
    assert bl.match_text(TEXT.replace("，", " , ") + "!!").kind == "exact"  # normalised away
    near = bl.match_text(TEXT.replace("一万", "1万"))  # one edit in 40 characters
    assert near is not None and near.kind == "near" and near.similarity >= 0.7
    assert bl.match_text("今天的天气很好，我们去公园散步，然后喝了一杯咖啡。") is None


def _img(color: str, mark: bool = False) -> bytes:
    im = Image.new("RGB", (256, 256), "white")
    d = ImageDraw.Draw(im)
    d.ellipse((40, 40, 200, 200), fill=color)
    d.rectangle((0, 180, 120, 256), fill="black")
    if mark:
        d.text((150, 230), "AI生成", fill="gray")
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_images_by_perceptual_hash(bl):
    _add(bl, bl.image_entry(_img("red", mark=True), "takedown"))
    assert bl.match_image(_img("red")) is not None  # the unlabelled original of the labelled output
    other = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(other).rectangle((100, 0, 256, 90), fill="blue")
    buf = io.BytesIO()
    other.save(buf, "PNG")
    assert bl.match_image(buf.getvalue()) is None
    assert bl.match_image(b"not an image") is None


def test_partial_stream_is_caught_by_containment(bl):
    _add(bl, bl.text_entry("【AI生成】" + TEXT * 3, "takedown"))
    unrelated = bl.text_entry("完全不同的一段话，讲的是做饭的步骤和需要准备的食材清单。" * 2, "takedown")
    _add(bl, unrelated)
    norm = normalise(TEXT)
    assert bl.match_partial("【AI生成】" + TEXT[:10]) is None  # too short to judge
    hit = bl.match_partial("【AI生成】" + TEXT)  # the first third of the blocked answer
    assert hit is not None and hit.kind == "contained" and hit.similarity >= 0.8
    assert hit.entry_id != unrelated.id
    assert bl.match_partial("今天的天气很好，我们去公园散步，然后喝了一杯咖啡，又去看了一场电影。") is None
    assert len(norm) >= bl.params.containment_min_chars


def test_shingle_index_counts_distinctive_and_boilerplate_per_item():
    from hegui.cases.textprint import ShingleIndex, shingle_hashes

    a, b = shingle_hashes("abcdefgh", 3), shingle_hashes("defghijk", 3)
    boiler = shingle_hashes("zzzz", 3)
    idx = ShingleIndex([("a", a, boiler), ("b", b, shingle_hashes("", 3))])
    distinct, shared = idx.overlap(shingle_hashes("abcdefzzzz", 3))
    assert list(distinct) == [4, 1] and list(shared) == [1, 0]  # a: abc bcd cde def, zzz; b: def
    assert list(idx.overlap(shingle_hashes("xyz", 3))[0]) == [0, 0]
    assert not ShingleIndex([])
