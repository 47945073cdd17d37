"""Annotation QA (Interim Measures Art 8; GB/T 45674-2025; docs/annotation.md): versioned rules
documents with a coverage check of the 31 Annex A risks, annotators with roles, training and
qualification tests, batches with separation of duties, double annotation with Cohen's κ,
acceptance sampling (ISO 2859-1 / GB/T 2828.1) and the GB/T 45674 batch and coverage rules, and the
export the filing's "annotation rules" attachment needs.

A duty package: it uses storage and records (every change is audited) and never imports the gateway.
"""

from __future__ import annotations

from hegui.annotation.agreement import cohen_kappa
from hegui.annotation.rules import check_text
from hegui.annotation.sampling import plan

__all__ = ["check_text", "cohen_kappa", "plan"]
