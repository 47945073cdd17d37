import pytest

from hegui.errors import ConfigError
from hegui.settings import load_settings


def test_defaults_are_valid(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert len(s.service.provider_code) == 27 and s.retention.usage_log_days >= 180


def test_file_and_env_override(tmp_path, monkeypatch):
    f = tmp_path / "hegui.toml"
    f.write_text('[service]\nfiling_number = "Beijing-TEST-1"\n[retention]\nusage_log_days = 200\n', encoding="utf-8")
    monkeypatch.setenv("HEGUI_RETENTION__USAGE_LOG_DAYS", "365")
    s = load_settings(f)
    assert s.service.filing_number == "Beijing-TEST-1" and s.retention.usage_log_days == 365


@pytest.mark.parametrize("toml,needle", [
    ("[retention]\nusage_log_days = 30\n", "six months"),
    ('[service]\nprovider_code = "0011911100000000000001DEMOX"\n', "provider_code"),
    ("[server]\nport = 0\n", "server.port"),
    ("[nonsense]\nx = 1\n", "nonsense"),
    ("this is = = not toml", "TOML"),
])
def test_invalid_config_is_a_precise_bilingual_error(tmp_path, toml, needle):
    f = tmp_path / "hegui.toml"
    f.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_settings(f)
    assert needle in e.value.message("en")
    assert "配置" in e.value.message("zh") or "TOML" in e.value.message("zh")


def test_missing_explicit_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_settings(tmp_path / "nope.toml")
    assert "找不到配置文件" in e.value.message("zh")
