"""The README's configuration table is generated from app/settings.py: every setting listed, none stale."""

from __future__ import annotations

from app.cli.settings import markdown, readme_block
from app.settings import GROUPS, Settings
from tests.conftest import ROOT


def test_every_setting_is_in_exactly_one_group_and_described():
    """A field added to Settings outside a group, or without a description, would be missing from the table."""
    grouped = [name for group in GROUPS for name in group.model_fields]
    assert sorted(grouped) == sorted(Settings.model_fields), "a setting outside GROUPS, or in two groups"
    undescribed = [name for group in GROUPS for name, f in group.model_fields.items() if not f.description]
    assert undescribed == []


def test_the_readme_table_is_the_generated_one():
    """Regenerate with `python -m app settings --write README.md` after changing a setting."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_block(readme) == markdown()
    for name in Settings.model_fields:
        assert f"`RAG_{name.upper()}`" in readme


def test_settings_is_made_of_the_groups_in_order():
    """Settings' bases are GROUPS, in the table's order (the class repeats them so type checkers see the fields)."""
    assert Settings.__bases__[:-1] == GROUPS
