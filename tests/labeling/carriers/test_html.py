from hegui.labeling import read_label, write_label
from tests.labeling.carriers.harness import roundtrip
from tests.labeling.media import label

PAGE = b"<!DOCTYPE html>\n<html><head><title>t</title></head><body><p>AI\xe7\x94\x9f\xe6\x88\x90</p></body></html>"


def _strip(d: bytes) -> bytes:
    import re

    return re.sub(rb'<meta name="AIGC"[^>]*>', b"", d)


def test_roundtrip_rest_identical():
    out = roundtrip(PAGE, "a.html", "html", _strip)
    assert out.count(b'name="AIGC"') == 1 and b"&quot;" in out


def test_fragment_without_head():
    out = write_label(b"<p>hi</p>", label(), filename="f.html")
    assert read_label(out, filename="f.html").label == label()
