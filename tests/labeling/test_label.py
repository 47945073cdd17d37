import json

import pytest

from hegui.labeling.errors import LabelInvalid
from hegui.labeling.label import FIELDS, ImplicitLabel, parse_label_value
from tests.labeling.media import PLATFORM, PRODUCER, label


def test_generated_first_write_copies_producer_fields():
    lab = label("abc")
    assert (lab.ContentPropagator, lab.PropagateID) == (PRODUCER, "abc")  # Annex E Note 1


def test_bare_json_is_compact_in_annex_e_order_all_strings():
    text = label("abc").to_json("bare")
    assert list(json.loads(text)) == list(FIELDS)
    assert " " not in text and all(isinstance(v, str) for v in json.loads(text).values())


def test_wrapped_form():
    assert list(json.loads(label().to_json("wrapped"))) == ["AIGC"]


@pytest.mark.parametrize("form", ["bare", "wrapped"])
def test_reader_accepts_both_forms(form):
    p = parse_label_value(label().to_json(form))
    assert p.label == label() and not p.errors and p.form == form


def test_reader_variants_warn_but_parse():
    vendor = ('{ "label": 1, "contentProducer": "%s", "ProduceID": "x", "ReserveCode1": "", '
              '"Propagator": "%s", "PropagateID": "x", "ReservedCode2": "" }' % (PRODUCER, PRODUCER))
    p = parse_label_value(json.dumps(vendor))  # double-encoded too
    assert p.label is not None and p.label.Label == "1" and p.label.ContentPropagator == PRODUCER
    assert any("double-encoded" in w for w in p.warnings)
    assert any("number" in w for w in p.warnings)
    assert any("ReserveCode1" in w for w in p.warnings)


def test_reader_html_escaped():
    p = parse_label_value(label().to_json().replace('"', "&quot;"))
    assert p.label == label()


@pytest.mark.parametrize("bad,msg", [
    ('{"Label":"AIGC","ContentProducer":"x","ProduceID":"y"}', "Label must"),
    ('{"ContentProducer":"x"}', "missing core key"),
    ("not json", "not valid JSON"),
    ('{"Label":"1","ContentProducer":{"a":1},"ProduceID":"y"}', "not a string"),
    ("{}", "empty"),
])
def test_reader_flags_noncompliant(bad, msg):
    p = parse_label_value(bad)
    assert any(msg in e for e in p.errors), p.errors


def test_free_name_producer_is_a_warning_on_read():
    p = parse_label_value('{"Label":"1","ContentProducer":"MiniMax","ProduceID":"1","ReservedCode1":"",'
                          '"ContentPropagator":"MiniMax","PropagateID":"1","ReservedCode2":""}')
    assert p.label is not None and not p.errors
    assert any("TC260-PG-20252A" in w for w in p.warnings)


@pytest.mark.parametrize("kwargs,msg", [
    ({"Label": "4"}, "Label"),
    ({"ContentProducer": "MiniMax Agent AI"}, "Annex E j"),
    ({"ContentProducer": "001191110102MACQD9K64010001".replace("MACQD9K640", "MACQD9K641")}, "provider code"),
    ({"ProduceID": ""}, "empty"),
    ({"ProduceID": 'a"b'}, "Annex E j"),
])
def test_writer_is_strict(kwargs, msg):
    lab = ImplicitLabel(**{**label().as_dict(), **kwargs})
    with pytest.raises(LabelInvalid) as ei:
        lab.check()
    assert msg in ei.value.message("en")
    assert "附录E" in ei.value.message("zh")


def test_propagated_keeps_producer():
    p = label("a").propagated(PLATFORM, "p-1")
    assert (p.ContentProducer, p.ProduceID, p.ContentPropagator, p.PropagateID) == (PRODUCER, "a", PLATFORM, "p-1")
    p.check()
