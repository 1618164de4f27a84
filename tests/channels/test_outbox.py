"""The outbox channel writes complete files or nothing, finds what it wrote, and never duplicates."""

import json

import pytest

from channels.base import ChannelConfig, Image, Message
from channels.errors import NotCreated
from channels.outbox import OutboxAdapter


def outbox(path) -> OutboxAdapter:
    return OutboxAdapter(ChannelConfig(name="bang", settings={"path": str(path)}))


def test_publish_writes_the_message_as_json_and_its_images(tmp_path):
    image = tmp_path / "the.png"
    image.write_bytes(b"\x89PNG fake bytes")
    message = Message(marker="loa-abc", text="Cải cách hành chính 🇻🇳", title="Khẩu hiệu", kind="slogan",
                      images=(Image(image, "image/png"),))
    published = outbox(tmp_path / "out").publish(message)
    record = json.loads((tmp_path / "out" / "loa-abc.json").read_text(encoding="utf-8"))
    assert record["text"] == "Cải cách hành chính 🇻🇳" and record["channel"] == "bang"
    assert record["images"] == ["loa-abc-1.png"]
    assert (tmp_path / "out" / "loa-abc-1.png").read_bytes() == b"\x89PNG fake bytes"
    assert published.remote_id == "loa-abc" and published.permalink.endswith("/out/loa-abc.json")
    assert not list((tmp_path / "out").glob("*.part"))


def test_publishing_the_same_marker_again_does_not_duplicate(tmp_path):
    box = outbox(tmp_path)
    box.publish(Message(marker="loa-1", text="một"))
    box.publish(Message(marker="loa-1", text="hai"))
    assert json.loads((tmp_path / "loa-1.json").read_text())["text"] == "một"
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_find_knows_exactly_what_was_published(tmp_path):
    box = outbox(tmp_path)
    message = Message(marker="loa-1", text="một")
    assert box.find(message) is None
    box.publish(message)
    assert box.find(message).remote_id == "loa-1"


def test_a_folder_that_is_a_file_is_reported_and_not_created(tmp_path):
    (tmp_path / "taken").write_text("x")
    box = outbox(tmp_path / "taken")
    with pytest.raises(NotCreated, match="cannot be written"):
        box.publish(Message(marker="loa-1", text="x"))
    assert not box.health().ok


def test_a_marker_cannot_escape_the_folder(tmp_path):
    from channels.errors import BadContent

    with pytest.raises(BadContent):
        outbox(tmp_path / "out").publish(Message(marker="../escape", text="x"))
    assert not (tmp_path / "escape.json").exists()
