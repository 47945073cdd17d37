"""Demo media models that run locally, below the gateway, and the seam for real ones (Deep Synthesis
Provisions Arts 14, 17: what they make is labelled by the caller). They are demos — honest signal
processing, no neural model — and say so in their model ids (``hegui-demo-…``): the voice
``hegui-demo-tts`` (:mod:`.tts`, espeak-ng), voice cloning (:mod:`.voice`), face swapping (:mod:`.face`)."""
