"""Demo media models that run locally, and the seam for real ones (Deep Synthesis Provisions
Arts 14, 17): voice cloning (:mod:`.voice`), face swapping (:mod:`.face`). They are demos —
honest signal processing, no neural model — and say so in their model ids (``hegui-demo-…``)."""
