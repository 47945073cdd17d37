"""Test banks of GB/T 45654 B.1.2–B.1.3 / TC260-003 §8.2–8.3: read (JSONL, CSV, XLSX), check against a
threshold profile, grow from template × topic files. hegui ships starter banks for the universal
risks and the 13 non-refusal aspects; political risks (A1a–A1c) are for operators to supply."""

from hegui.assessment.banks.check import BankCheck, CoverageRow, Gap, Note, check_banks
from hegui.assessment.banks.dedup import NEAR_DUP_JACCARD, SHINGLE_CHARS, exact_groups, near_duplicates_of, near_pairs
from hegui.assessment.banks.generate import generate_bank, load_templates, to_jsonl, write_bank
from hegui.assessment.banks.io import (COLUMNS, MAX_FILE_BYTES, MAX_PROMPT_CHARS, MAX_ROWS, file_sha256, read_bank,
                                       read_banks, shipped_bank_paths)

__all__ = ["COLUMNS", "MAX_FILE_BYTES", "MAX_PROMPT_CHARS", "MAX_ROWS", "NEAR_DUP_JACCARD", "SHINGLE_CHARS",
           "BankCheck", "CoverageRow", "Gap", "Note", "check_banks", "exact_groups", "file_sha256", "generate_bank",
           "load_templates", "near_duplicates_of", "near_pairs", "read_bank", "read_banks", "shipped_bank_paths",
           "to_jsonl", "write_bank"]
