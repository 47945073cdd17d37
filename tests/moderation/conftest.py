import pytest

from hegui.moderation.engine import PolicyModerator


@pytest.fixture(scope="session")
def shipped_moderator() -> PolicyModerator:
    """The shipped packs, lexicon only (no classifier, no recognizers), no auto reload."""
    return PolicyModerator.load(classifier=None, recognizers=None, auto_reload_s=None)
