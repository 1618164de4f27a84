"""The Vietnamese catalogue is complete, current and compiled: no user-facing string stays English."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "bot" / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_string_is_translated_and_keeps_its_placeholders():
    catalogue = polib.pofile(str(PO))
    assert catalogue.percent_translated() == 100, [e.msgid for e in catalogue.untranslated_entries()]
    assert not catalogue.fuzzy_entries()
    for entry in catalogue.translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert sorted(set(PLACEHOLDER.findall(entry.msgid))) == sorted(set(PLACEHOLDER.findall(translation))), entry.msgid


def test_the_catalogue_covers_every_string_in_the_code(tmp_path):
    """Extract afresh from a copy of the sources and compare: a new _() without a translation fails."""
    for part in ("bot", "channels", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "bot.settings", "LOA_DATA_DIR": str(tmp_path / "var")}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-location", "--no-obsolete", "--ignore=var"],
        cwd=tmp_path, check=True, capture_output=True, env=env,
    )
    fresh = {e.msgid for e in polib.pofile(str(tmp_path / "bot" / "locale" / "vi" / "LC_MESSAGES" / "django.po"))}
    committed = {e.msgid for e in polib.pofile(str(PO)) if e.translated()}
    assert fresh - committed == set()


def test_the_compiled_catalogue_matches_the_source():
    compiled = {e.msgid: e.msgstr or e.msgstr_plural for e in polib.mofile(str(MO)) if e.msgid}
    source = {e.msgid: e.msgstr or e.msgstr_plural for e in polib.pofile(str(PO)) if e.translated()}
    assert compiled == source, "run: cd bot && django-admin compilemessages"
