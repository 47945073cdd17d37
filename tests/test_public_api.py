import hegui


def test_every_export_resolves():
    for name in hegui.__all__:
        assert getattr(hegui, name) is not None, name


def test_surface_is_pinned():
    assert hegui.__all__ == sorted([
        "Action", "ConfigError", "Database", "Direction", "HeguiError", "HeguiSettings", "IdentityService",
        "Moderator", "Services", "TextLabel", "ValidationFailed", "Verdict", "bootstrap", "build_services",
        "create_app", "evaluate_obligations", "export_for_training", "load_settings", "purge_expired",
        "verify_audit_log",
    ])
