"""The operators' web console: server-rendered Jinja2 pages, zh/en, three roles."""
