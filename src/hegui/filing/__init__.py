"""The filing dossier (security-requirements §9): algorithm filing (算法备案), large-model filing
(大模型备案) and registration (登记) — each piece built from live data or reported missing with the
duty it blocks; the 10-working-day clock from launch (Alg. Rec. Art 24) lives in
:mod:`hegui.obligations.filing`."""

from hegui.filing.build import Outcome, blocking, build, run_pieces, verify, write_zip
from hegui.filing.model import Built, Doc, Dossier, Piece, PieceStatus, Track
from hegui.filing.pieces import PIECES, pieces_for

__all__ = ["PIECES", "Built", "Doc", "Dossier", "Outcome", "Piece", "PieceStatus", "Track", "blocking", "build",
           "pieces_for", "run_pieces", "verify", "write_zip"]
