"""DS-17 (Deep Synthesis Art 17) rests on live evidence: the demo voice labelled and inspected as
confirmed with the cue at its start, and every ``audio.speech`` record carrying an audio label."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from hegui.obligations import speech
from hegui.obligations.register import Status, evaluate
from hegui.records.usage import PendingRecord

pytestmark = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")),
                                reason="needs espeak-ng and ffmpeg (scripts/setup.sh installs them)")


def _ds17(sv):  # noqa: ANN001, ANN202
    return {r.duty.id: r for r in evaluate(sv)[1]}["DS-17"]


def test_ds17_is_met_by_the_voice_self_test(make_services):
    row = _ds17(make_services())
    assert row.duty.check == "synthesis_labels"
    assert row.finding.status is Status.MET, row.finding.reason_en
    assert "self-test inspected as confirmed" in row.finding.reason_en and "合成语音" in row.finding.reason_zh


def test_ds17_fails_when_the_audio_label_loses_its_cue(make_services, monkeypatch):
    """Labels that skip the explicit cue (as if disabled): the inspector finds no cue, DS-17 is red."""
    import hegui.labeling.gateway_audio as ga

    monkeypatch.setattr(ga, "explicit_cue", lambda rate, mode="rhythm", policy=None: np.zeros(10, np.float32))
    f = speech.synthesis_labels_finding(make_services())
    assert f.status is Status.NOT_MET and "explicit audio cue was not found" in f.reason_en


def test_ds17_fails_without_the_demo_voice(make_services, monkeypatch):
    import hegui.synthesis.tts as tts

    monkeypatch.setattr(tts.shutil, "which", lambda name: None)
    f = speech.synthesis_labels_finding(make_services())
    assert f.status is Status.NOT_MET and "espeak-ng" in f.reason_en and "espeak-ng" in f.reason_zh


def test_ds17_fails_on_a_speech_record_without_an_audio_label(make_services):
    sv = make_services()
    for i, label in enumerate(("audio:explicit+implicit", None, "text:prefix")):
        sv.writer.write(PendingRecord(request_id=f"req-speech-{i}", endpoint="audio.speech", status="ok",
                                      content_id=f"hgc-speech-{i}", prompt="hello", output="[audio 1.0 s mp3]",
                                      label=label))
    sv.writer.write(PendingRecord(request_id="req-refused", endpoint="audio.speech", status="refused",
                                  content_id="hgc-refused", prompt="x"))  # nothing left: no label needed
    assert speech.unlabelled_speech(sv) == (3, 2)
    f = speech.synthesis_labels_finding(sv)
    assert f.status is Status.NOT_MET and "2 of 3 speech records" in f.reason_en


def test_ds17_counts_the_gateways_own_records(gateway):
    r = gateway.post("/v1/audio/speech", {"model": "hegui-demo-tts", "input": "你好", "voice": "alloy",
                                          "user": "demo-user", "response_format": "wav"})
    assert r.status_code == 200, r.text
    assert speech.unlabelled_speech(gateway.services) == (1, 0)
    f = speech.synthesis_labels_finding(gateway.services)
    assert f.status is Status.MET and "all 1 speech records" in f.reason_en
