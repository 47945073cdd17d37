"""Policy packs: versioned term lists, refusal templates, thresholds and actions (operator data)."""

from hegui.moderation.packs.loader import load_pack, load_packs, shipped_pack_dirs
from hegui.moderation.packs.schema import Pack, PackManifest, RuleModel, Term

__all__ = ["Pack", "PackManifest", "RuleModel", "Term", "load_pack", "load_packs", "shipped_pack_dirs"]
