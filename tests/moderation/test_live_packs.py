"""Packs activated in the console (``<var_dir>/packs/live``) reach the running engine."""

from types import SimpleNamespace

from hegui.console.packs import PackStore
from hegui.moderation.base import Direction
from hegui.moderation.engine import PolicyModerator

TERM = "紫罗兰暗号七七"  # an operator's own term, in no shipped pack


def test_term_added_in_console_is_enforced_after_reload(tmp_path):
    store = PackStore(SimpleNamespace(var_dir=str(tmp_path)))
    mod = PolicyModerator.load(include_shipped=False, classifier=None, recognizers=None, auto_reload_s=None,
                               pack_roots=[store.live])
    assert not mod.check(f"今天说{TERM}", Direction.INPUT).risks
    store.add_term(TERM, "A1h", actor="admin:test")
    assert mod.changed()  # a new pack appeared under the live root
    assert mod.reload()
    verdict = mod.check(f"今天说{TERM}", Direction.INPUT)
    assert [r.risk_id for r in verdict.risks] == ["A1h"]
    assert "console-lexicon" in mod.label
    assert not mod.changed()


def test_rollback_swaps_the_live_link_and_the_engine_follows(tmp_path):
    store = PackStore(SimpleNamespace(var_dir=str(tmp_path)))
    store.add_term(TERM, "A1h", actor="admin:test")
    mod = PolicyModerator.load(include_shipped=False, classifier=None, recognizers=None, auto_reload_s=None,
                               pack_roots=[store.live])
    second = "靛青暗号八八"
    store.add_term(second, "A1h", actor="admin:test")
    assert mod.changed() and mod.reload()
    assert mod.check(second, Direction.INPUT).risks
    store.rollback("console-lexicon", actor="admin:test")
    assert mod.changed() and mod.reload()
    assert not mod.check(second, Direction.INPUT).risks and mod.check(TERM, Direction.INPUT).risks
