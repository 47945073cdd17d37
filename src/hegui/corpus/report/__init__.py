"""The corpus-audit report (Interim Measures Arts 7, 19; GB/T 45654 §5.1 a 2, Annex B.2.1 a–b).

``build_corpus_report`` (per-source shares with Wilson intervals, the two seeded samples, the
verdict) → ``write_report`` (report.json, zh/en html and pdf, the manual-sample worksheet) →
``import_manual_sample`` + ``rebuild`` after review → ``latest_corpus_report`` (IM-7, the dossier).
"""

from hegui.corpus.report.compute import KIND, SCHEMA, build_corpus_report
from hegui.corpus.report.latest import latest_corpus_report, report_time
from hegui.corpus.report.profiles import CorpusProfile, available_profiles, load_corpus_profile
from hegui.corpus.report.render import render_corpus_html, render_corpus_pdf
from hegui.corpus.report.worksheet import export_manual_sample, import_manual_sample
from hegui.corpus.report.write import rebuild, write_report

__all__ = ["KIND", "SCHEMA", "CorpusProfile", "available_profiles", "build_corpus_report", "export_manual_sample",
           "import_manual_sample", "latest_corpus_report", "load_corpus_profile", "rebuild", "render_corpus_html",
           "render_corpus_pdf", "report_time", "write_report"]
