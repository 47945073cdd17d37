"""Security assessment to GB/T 45654 Annex B / TC260-003 §8–9 (Interim Measures Art 17).

Banks (``banks``) → runner (``runner``: asks any OpenAI-compatible endpoint, resumable) → judges
(``judges``: classifier, refusal detector, keywords, optional LLM, human worksheet) → report
(``report``: report.json / html / pdf, the filing-layout XLSX, the CI gate).
"""

from hegui.assessment.models import (ASPECT_IDS, ASPECTS, Answer, AnswerStatus, Aspect, BankItem, BankKind, Judge,
                                     JudgeVerdict, Outcome)
from hegui.assessment.profiles import DEFAULT_PROFILE, Profile, available_profiles, load_profile

__all__ = ["ASPECTS", "ASPECT_IDS", "Answer", "AnswerStatus", "Aspect", "BankItem", "BankKind", "DEFAULT_PROFILE",
           "Judge", "JudgeVerdict", "Outcome", "Profile", "available_profiles", "load_profile"]
