import string

from hegui.errors import ConfigError, all_error_classes
from hegui.moderation.errors import PackError, PackNotFound


def test_pack_errors_join_the_hierarchy() -> None:
    classes = all_error_classes()
    assert PackError in classes and PackNotFound in classes and issubclass(PackError, ConfigError)
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))
    for cls in (PackError, PackNotFound):
        en = {f for _, f, _, _ in string.Formatter().parse(cls.message_en) if f}
        zh = {f for _, f, _, _ in string.Formatter().parse(cls.message_zh) if f}
        assert en == zh == {"location", "detail"}
    err = PackError(location="p/terms.tsv:3", detail="bad")
    assert str(err) == "Invalid policy pack (p/terms.tsv:3): bad"
    assert "策略包无效（p/terms.tsv:3）" in err.message("zh")
