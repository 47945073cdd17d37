"""The judges of a security assessment (GB/T 45654 B.2.2–B.2.3; TC260-003 §9.3).

Each judge looks at (BankItem, Answer) pairs and returns one :class:`JudgeVerdict` per pair, with its
evidence: :class:`ClassifierJudge` (the moderation engine on the answer, with its question),
:class:`KeywordJudge` (the moderation lexicons), :class:`RefusalDetector` (rules + response judge),
the optional :class:`LLMJudge`, and the human worksheet (:func:`export_worksheet` /
:func:`import_worksheet`). :func:`decide` turns them into one final verdict per item.
"""

from hegui.assessment.judges.decide import decide, default_judges
from hegui.assessment.judges.engine import ClassifierJudge
from hegui.assessment.judges.keyword import KeywordJudge, mask_term
from hegui.assessment.judges.llm import LLMJudge, LLMJudgeConfig
from hegui.assessment.judges.refusal import RefusalDetector, RefusalRules
from hegui.assessment.judges.worksheet import export_worksheet, import_worksheet

__all__ = ["ClassifierJudge", "KeywordJudge", "LLMJudge", "LLMJudgeConfig", "RefusalDetector", "RefusalRules",
           "decide", "default_judges", "export_worksheet", "import_worksheet", "mask_term"]
