import yaml

from hegui.labeling import read_label, write_label
from tests.labeling.carriers.harness import roundtrip
from tests.labeling.media import label

BODY = "# 标题\n\n正文 text.\n\n（内容由AI生成，仅供参考）\n"


def _body(d: bytes) -> bytes:
    return d.split(b"\n---\n", 1)[-1] if d.startswith(b"---") else d


def test_roundtrip_without_front_matter():
    out = roundtrip(BODY.encode(), "a.md", "markdown", _body)
    fm = yaml.safe_load(out.split(b"---\n")[1])
    assert fm["AIGC"]["Label"] == "1"  # quoted: stays a string in YAML


def test_existing_front_matter_kept():
    src = b"---\ntitle: hi\ntags: [a, b]\n---\n" + BODY.encode()
    out = write_label(write_label(src, label("1st"), filename="x.md"), label("2nd"), filename="x.md")
    fm = yaml.safe_load(out.split(b"---\n")[1])
    assert fm["title"] == "hi" and fm["tags"] == ["a", "b"] and fm["AIGC"]["ProduceID"] == "2nd"
    assert out.endswith(BODY.encode())


def test_vendor_unquoted_yaml_is_read_with_warning():
    src = (b"---\nAIGC:\n  Label: 1\n  ContentProducer: 001191440300708461136T1XGW3\n  ProduceID: abc\n"
           b"  ReservedCode1: ''\n  ContentPropagator: 001191440300708461136T1XGW3\n  PropagateID: abc\n"
           b"  ReservedCode2: ''\n---\nbody\n")
    r = read_label(src, filename="t.md")
    assert r.label is not None and r.label.Label == "1" and any("number" in w for w in r.warnings)


def test_json_string_value_read():
    src = ("---\nAIGC: '" + label().to_json() + "'\n---\nbody").encode()
    assert read_label(src, filename="a.md").label == label()
