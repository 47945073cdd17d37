"""Training-data audit (Interim Measures Arts 7, 8, 19; GB/T 45654 §5, Annex B.2.1; GB/T 45674).

Readers → per-record steps (moderation, PI, licence markers, language, quality, fingerprints) →
whole-corpus passes (duplicates, opt-outs) → decisions, filtered corpus, per-source shares,
samples and the report. The same steps run locally or on Ray Data (``engine``).
"""

from hegui.corpus.record import CorpusPass, CorpusRecord, RecordStep

__all__ = ["CorpusPass", "CorpusRecord", "RecordStep"]
