"""DS-17 (Deep Synthesis Provisions Art 17; Labeling Measures Art 4; GB 45438-2025 §5.3): prominent
labels on synthesised content — text, images and synthesised voices — resting on live evidence:

- the text and image labels (the ``output_labels`` check: the explicit text label and the image
  label self-test);
- a voice self-test: the demo voice (``hegui-demo-tts``) speaks a sentence, the gateway's audio
  labeling labels it as the live settings say, and the inspector must classify the file as
  *confirmed* and find the explicit rhythm cue at its start;
- the usage records: every ``audio.speech`` answer that left must carry an audio label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hegui.obligations.register import CHECKS, Finding, Status

if TYPE_CHECKING:
    from hegui.app.services import Services

SELF_TEST_TEXT = "本段语音由演示模型合成。This voice is synthesised."
SELF_TEST_ID = "hgc-register-speech-self-test"


def speech_label_self_test(sv: Services) -> str:
    """'' when a labelled demo voice inspects as confirmed with the cue at its start, else why."""
    if "speech_label_self_test" not in sv.extras:
        sv.extras["speech_label_self_test"] = _run_self_test(sv)
    why: str = sv.extras["speech_label_self_test"]
    return why


def _run_self_test(sv: Services) -> str:
    from hegui.errors import HeguiError
    from hegui.labeling.gateway_audio import label_generated_audio
    from hegui.labeling.inspector import inspect
    from hegui.synthesis.tts import synthesize

    try:
        spoken = synthesize(SELF_TEST_TEXT)
        data = label_generated_audio(spoken.samples, spoken.sample_rate, "mp3", content_id=SELF_TEST_ID,
                                     producer_code=sv.settings.service.provider_code,
                                     mode=sv.settings.labels.audio_explicit)
    except HeguiError as exc:
        return exc.message("en")
    res = inspect(data, filename="self-test.mp3", check_c2pa=False, check_watermark=False)
    if res.klass != "confirmed":
        return f"the inspector classified the labelled voice as {res.klass} ({'; '.join(res.errors) or 'no label'})"
    if res.explicit_audio_cue is not True:
        reason = (res.audio_cue or {}).get("reason") or "not checked"
        return f"the explicit audio cue was not found at the start ({reason})"
    return ""


def unlabelled_speech(sv: Services) -> tuple[int, int]:
    """(speech answers that left, of which without an audio label) in the usage records."""
    from sqlalchemy import func, or_, select

    from hegui.storage.models import UsageRecord

    with sv.db.session() as s:
        q = select(func.count()).select_from(UsageRecord).where(UsageRecord.endpoint == "audio.speech",
                                                                UsageRecord.status == "ok")
        total = int(s.scalar(q) or 0)
        bad = int(s.scalar(q.where(or_(UsageRecord.label.is_(None),
                                        ~UsageRecord.label.like("audio:explicit+implicit%")))) or 0)
    return total, bad


def synthesis_labels_finding(sv: Services) -> Finding:
    base = CHECKS["output_labels"](sv)
    if base.status is not Status.MET:
        return base
    why = speech_label_self_test(sv)
    if why:
        return Finding(Status.NOT_MET, f"合成语音标识自检失败：{why}", f"synthesised-voice label self-test failed: {why}")
    total, bad = unlabelled_speech(sv)
    if bad:
        return Finding(Status.NOT_MET, f"{bad} 条语音合成记录（共 {total} 条）未带音频标识",
                       f"{bad} of {total} speech records carry no audio label")
    return Finding(Status.MET, f"{base.reason_zh}；合成语音：开头节奏提示音 + 隐式标识（演示语音自检判为“确认”），"
                               f"{total} 条语音合成记录均带音频标识",
                   f"{base.reason_en}; synthesised voices: rhythm cue at the start + implicit label (demo-voice "
                   f"self-test inspected as confirmed); all {total} speech records carry an audio label")
