"""Results and the filing-grade report of a security assessment (GB/T 45654 Annex B; TC260-003 §9).

``build_report`` (rates, Wilson intervals, per-clause table) → ``write_outputs`` (report.json,
html and pdf in zh and en, the filing-layout XLSX) → ``gate`` (CI) and ``latest_report`` (IM-17).
"""

from hegui.assessment.report.compute import FINAL, RunMeta, build_report, decide
from hegui.assessment.report.gate import gate, latest_report
from hegui.assessment.report.stats import wilson

__all__ = ["FINAL", "RunMeta", "build_report", "decide", "gate", "latest_report", "wilson"]
