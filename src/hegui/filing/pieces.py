"""The pieces in the practitioners' order (security-requirements §9: the large-model package 0–7,
then the algorithm-filing deliverables), with the tracks that need each and the duty it evidences."""

from __future__ import annotations

from hegui.filing import pieces_docs as docs
from hegui.filing import pieces_evidence as ev
from hegui.filing.model import Piece, Track

A, M, R = Track.ALGORITHM, Track.MODEL, Track.REGISTRATION

PIECES: tuple[Piece, ...] = (
    Piece("application-form", "申请表（上线备案表 / 算法备案填报信息）", "Application form / portal fields",
          frozenset({A, M, R}), "DS-19, IM-17-F", docs.form),
    Piece("security-assessment", "安全自评估报告", "Security self-assessment report",
          frozenset({A, M, R}), "IM-17", ev.assessment),
    Piece("agreement", "服务协议与隐私政策", "Service agreement and privacy policy",
          frozenset({M, R}), "IM-9", docs.agreement),
    Piece("annotation-rules", "数据标注规则（或不适用说明）", "Annotation rules (or not-applicable statement)",
          frozenset({M}), "IM-8", docs.annotation),
    Piece("keywords", "关键词库", "Keyword block list", frozenset({M, R}), "GB/T 45654 B.1.1", ev.keywords),
    Piece("test-banks", "测试题库", "Test banks", frozenset({M, R}), "GB/T 45654 B.1.2–B.1.3", ev.banks),
    Piece("corpus-audit", "语料安全评估报告", "Corpus audit report", frozenset({M}), "IM-7", ev.corpus_audit),
    Piece("base-model-filing", "基础模型备案证明", "Base-model filing evidence",
          frozenset({M, R}), "IM Art 7(1)", ev.base_models),
    Piece("mechanism-text", "算法机制机理公示", "Algorithm mechanism public text",
          frozenset({A}), "Alg. Rec. Arts 16, 24", docs.mechanism),
    Piece("officer-letters", "算法安全责任人任命书与承诺书", "Algorithm-security officer appointment and commitment letters",
          frozenset({A}), "Alg. Rec. Art 7; DS Art 7", docs.letters),
)


def pieces_for(track: Track) -> list[Piece]:
    return [p for p in PIECES if track in p.tracks]
