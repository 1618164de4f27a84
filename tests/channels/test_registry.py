"""Every registered channel kind resolves and describes itself; channels/ imports no Django."""

import ast
from pathlib import Path

import pytest

from channels import registry
from channels.base import Adapter

CHANNELS_DIR = Path(registry.__file__).parent


@pytest.mark.parametrize("kind", registry.kinds())
def test_each_registry_entry_resolves_to_a_complete_adapter(kind):
    cls = registry.adapter_class(kind)
    assert issubclass(cls, Adapter) and cls.kind == kind and cls.label
    assert all(s.key and s.help for s in cls.settings_schema)


def test_an_unknown_kind_names_the_known_ones():
    with pytest.raises(registry.UnknownKind, match="outbox"):
        registry.adapter_class("myspace")


def test_a_kind_cannot_be_registered_twice():
    class Impostor(Adapter):
        kind = "outbox"
        label = "x"

        def publish(self, message):
            raise NotImplementedError

    with pytest.raises(ValueError):
        registry.register(Impostor)


@pytest.mark.parametrize("path", sorted(CHANNELS_DIR.rglob("*.py")), ids=lambda p: p.name)
def test_channels_import_neither_django_nor_bot(path):
    tree = ast.parse(path.read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"django", "bot"}, f"{path.name} imports {imported & {'django', 'bot'}}"


@pytest.mark.parametrize("kind", registry.kinds())
def test_every_setting_of_every_kind_is_documented_in_the_readme(kind):
    readme = (CHANNELS_DIR.parent / "README.md").read_text()
    for setting in registry.adapter_class(kind).settings_schema:
        assert f"`{setting.key}`" in readme, f"{kind}.{setting.key} is missing from the README"
