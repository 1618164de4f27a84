"""The `loa` command line as operators and scripts use it: happy paths, and bad input that exits
non-zero with one clear line and writes nothing."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from bot.cli.main import main
from bot.crypto import decrypt_json
from bot.models import AuditEntry, Channel, Delivery, Post, Profile, Unit
from tests.fakes import ScriptedPlatform
from channels import registry

pytestmark = pytest.mark.django_db


def run(capsys, monkeypatch, *argv, stdin=None):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin) if stdin is not None else io.StringIO(""))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def counts():
    models = [Unit, Profile, Channel, Post, Delivery, AuditEntry, get_user_model()]
    return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def cli(capsys, monkeypatch):
    return lambda *argv, stdin=None: run(capsys, monkeypatch, *argv, stdin=stdin)


@pytest.fixture
def org(cli, tmp_path):
    assert cli("unit", "add", "hcm", "--name", "Thành phố Hồ Chí Minh")[0] == 0
    assert cli("unit", "add", "ben-thanh", "--name", "Phường Bến Thành", "--parent", "hcm")[0] == 0
    assert cli("user", "add", "lan", "--role", "editor", "--unit", "ben-thanh", stdin="Mật-khẩu-đủ-dài-1\n")[0] == 0
    assert cli("user", "add", "minh", "--role", "approver", "--unit", "hcm", stdin="Mật-khẩu-đủ-dài-2\n")[0] == 0
    assert cli("channel", "add", "--unit", "ben-thanh", "--kind", "outbox", "--name", "bang", "--set",
               f"path={tmp_path / 'outbox'}")[0] == 0
    return tmp_path


def add_post(cli, *extra, by="lan"):
    return cli("post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "Khẩu hiệu",
               "--body", "Vì nhân dân phục vụ", "--channel", "bang", "--by", by, *extra)


def assert_refused(cli, argv, message_part, stdin=None, code=1):
    before = counts()
    rc, out, err = cli(*argv, stdin=stdin)
    assert rc == code, (rc, out, err)
    assert err.startswith("loa: error: ") and err.count("\n") == 1, err
    assert message_part in err
    assert counts() == before


# Happy paths


def test_unit_add_prints_the_id_and_nests_under_the_parent(cli, org):
    ward = Unit.objects.get(slug="ben-thanh")
    assert ward.parent.slug == "hcm" and ward.name == "Phường Bến Thành"
    assert json.loads(cli("unit", "list", "--json")[1])[0]["slug"] in {"hcm", "ben-thanh"}


def test_user_add_reads_the_password_from_stdin(cli, org):
    user = get_user_model().objects.get(username="lan")
    assert user.check_password("Mật-khẩu-đủ-dài-1") and user.loa_profile.role == "editor"
    assert not user.is_staff


def test_user_add_generates_and_prints_a_password_when_none_is_given(cli, org):
    rc, out, _ = cli("user", "add", "quan", "--role", "admin", "--unit", "hcm")
    assert rc == 0
    password = out.strip().splitlines()[-1].rsplit(": ", 1)[1]
    user = get_user_model().objects.get(username="quan")
    assert user.check_password(password) and user.is_staff and user.is_superuser


def test_channel_add_stores_secret_settings_encrypted(cli, org):
    registry.register(ScriptedPlatform)
    try:
        rc, out, _ = cli("channel", "add", "--unit", "ben-thanh", "--kind", "scripted", "--name", "trang-fb",
                         "--set", "token=t0ps3cret")
    finally:
        registry.unregister("scripted")
    channel = Channel.objects.get(pk=int(out))
    assert rc == 0 and "t0ps3cret" not in channel.secrets_encrypted and "t0ps3cret" not in json.dumps(channel.settings)
    assert decrypt_json(channel.secrets_encrypted) == {"token": "t0ps3cret"}
    assert "t0ps3cret" not in json.dumps(list(AuditEntry.objects.values("details")))


def test_post_add_echoes_a_local_time_with_its_offset(cli, org):
    at = (timezone.localtime() + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    rc, out, err = add_post(cli, "--at", at.strftime("%Y-%m-%dT%H:%M"))
    assert rc == 0
    post = Post.objects.get(pk=int(out))
    assert f"{at:%Y-%m-%dT%H:%M}:00+07:00" in err
    assert post.publish_at == at and post.workflow == "draft"


def test_the_whole_workflow_from_the_command_line(cli, org):
    post_id = add_post(cli, "--submit")[1].strip()
    assert cli("post", "approve", post_id, "--by", "minh")[0] == 0
    rc, out, _ = cli("tick", "--inline")
    assert rc == 0 and "sent: 1" in out
    shown = json.loads(cli("post", "show", post_id, "--json")[1])
    assert shown["status"] == "published" and shown["approver"] == "minh"
    (d,) = shown["deliveries"]
    assert d["channel"] == "bang" and d["state"] == "sent" and d["attempts"] == 1
    assert d["permalink"].endswith(".json") and d["remote_id"] and d["last_error"] is None
    assert {"id", "kind", "title", "status", "deliveries"} <= set(shown)
    listed = json.loads(cli("post", "list", "--json", "--unit", "ben-thanh", "--status", "published")[1])
    assert [p["id"] for p in listed] == [int(post_id)]
    assert json.loads(cli("post", "list", "--json", "--status", "draft")[1]) == []


def test_a_returned_post_carries_its_reason_and_can_be_resubmitted(cli, org):
    post_id = add_post(cli, "--submit")[1].strip()
    assert cli("post", "return", post_id, "--by", "minh", "--reason", "Sai chính tả")[0] == 0
    shown = json.loads(cli("post", "show", post_id, "--json")[1])
    assert shown["status"] == "returned" and shown["return_reason"] == "Sai chính tả"
    assert cli("post", "submit", post_id, "--by", "lan")[0] == 0


def test_tick_sends_to_the_broker_without_inline(cli, org, redis_db):
    post_id = add_post(cli, "--submit")[1].strip()
    cli("post", "approve", post_id, "--by", "minh")
    rc, out, _ = cli("tick")
    assert rc == 0 and out.startswith("1 ")
    assert redis_db.llen("publish.outbox") == 1
    assert Delivery.objects.get().state == "queued"


# Bad input: non-zero, one line, nothing written


def test_unknown_unit_is_refused(cli, org):
    assert_refused(cli, ["unit", "add", "p1", "--name", "P1", "--parent", "nowhere"], "nowhere")
    assert_refused(cli, ["user", "add", "an", "--role", "editor", "--unit", "nowhere"], "nowhere", stdin="Mật-khẩu-đủ-dài-1\n")
    assert_refused(cli, ["channel", "add", "--unit", "nowhere", "--kind", "outbox", "--name", "x", "--set", "path=x"], "nowhere")


def test_unknown_channel_kind_is_refused_with_the_known_kinds(cli, org):
    assert_refused(cli, ["channel", "add", "--unit", "ben-thanh", "--kind", "myspace", "--name", "x"], "outbox")


def test_bad_channel_settings_are_refused(cli, org):
    base = ["channel", "add", "--unit", "ben-thanh", "--kind", "outbox", "--name", "moi"]
    assert_refused(cli, base, "path")
    assert_refused(cli, base + ["--set", "path=x", "--set", "colour=red"], "colour")
    assert_refused(cli, base + ["--set", "novalue"], "KEY=VALUE")
    assert_refused(cli, ["channel", "add", "--unit", "ben-thanh", "--kind", "outbox", "--name", "Bad Name!", "--set", "path=x"], "Bad Name!")
    assert_refused(cli, ["channel", "add", "--unit", "ben-thanh", "--kind", "outbox", "--name", "bang", "--set", "path=x"], "bang")


def test_an_approver_cannot_approve_a_post_they_wrote(cli, org):
    cli("channel", "add", "--unit", "hcm", "--kind", "outbox", "--name", "tinh", "--set", "path=tinh")
    rc, out, _ = cli("post", "add", "--unit", "hcm", "--kind", "slogan", "--title", "T", "--body", "B",
                     "--channel", "tinh", "--by", "minh", "--submit")
    assert rc == 0
    assert_refused(cli, ["post", "approve", out.strip(), "--by", "minh"], "own post")
    assert Post.objects.get(pk=int(out)).workflow == "submitted"


def test_an_unparseable_time_is_refused(cli, org):
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "T", "--body", "B",
                         "--channel", "bang", "--by", "lan", "--at", "thứ năm tuần sau"], "ISO-8601")


def test_a_time_in_the_past_is_refused(cli, org):
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "T", "--body", "B",
                         "--channel", "bang", "--by", "lan", "--at", "2020-01-01T08:00"], "in the past")


def test_a_missing_body_file_is_refused(cli, org, tmp_path):
    missing = tmp_path / "khong-co.txt"
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "T",
                         "--body-file", str(missing), "--channel", "bang", "--by", "lan"], "khong-co.txt")


def test_a_body_file_that_is_not_text_is_refused(cli, org, tmp_path):
    binary = tmp_path / "anh.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "T",
                         "--body-file", str(binary), "--channel", "bang", "--by", "lan"], "UTF-8")


def test_unknown_channel_user_and_post_are_refused(cli, org):
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "T", "--body", "B",
                         "--channel", "khong-co", "--by", "lan"], "khong-co")
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "T", "--body", "B",
                         "--channel", "bang", "--by", "ai-do"], "ai-do")
    assert_refused(cli, ["post", "approve", "999", "--by", "minh"], "999")
    assert_refused(cli, ["post", "show", "abc", "--json"], "abc")


def test_an_editor_cannot_approve_and_staff_cannot_write(cli, org):
    cli("user", "add", "thu", "--role", "staff", "--unit", "ben-thanh", stdin="Mật-khẩu-đủ-dài-3\n")
    post_id = add_post(cli, "--submit")[1].strip()
    assert_refused(cli, ["post", "approve", post_id, "--by", "lan"], "may not approve")
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "T", "--body", "B",
                         "--channel", "bang", "--by", "thu"], "may not write")


def test_a_failed_submit_writes_no_draft_either(cli, org):
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", " ", "--body", "B",
                         "--channel", "bang", "--by", "lan", "--submit"], "title")


def test_approving_twice_is_refused(cli, org):
    post_id = add_post(cli, "--submit")[1].strip()
    assert cli("post", "approve", post_id, "--by", "minh")[0] == 0
    assert_refused(cli, ["post", "approve", post_id, "--by", "minh"], "cannot be approved")
    assert Delivery.objects.count() == 1


def test_usage_errors_exit_2_with_one_line(cli, org):
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh"], "required", code=2)


def test_a_duplicate_unit_or_user_is_refused(cli, org):
    assert_refused(cli, ["unit", "add", "hcm", "--name", "Khác"], "hcm")
    assert_refused(cli, ["user", "add", "lan", "--role", "editor", "--unit", "hcm"], "lan", stdin="Mật-khẩu-đủ-dài-9\n")
    assert_refused(cli, ["user", "add", "yeu", "--role", "editor", "--unit", "hcm"], "weak", stdin="123\n")


def test_an_officer_resolves_an_unconfirmed_delivery(cli, org):
    from bot.publishing.transitions import move

    post_id = add_post(cli, "--submit")[1].strip()
    cli("post", "approve", post_id, "--by", "minh")
    delivery = Delivery.objects.get()
    move(delivery.pk, "queued")
    move(delivery.pk, "sending")
    move(delivery.pk, "unconfirmed")
    assert_refused(cli, ["delivery", "confirm", str(delivery.pk), "--by", "ai-do"], "ai-do")
    assert cli("delivery", "resend", str(delivery.pk), "--by", "lan")[0] == 0
    assert Delivery.objects.get().state == "scheduled"
    assert AuditEntry.objects.filter(action="delivery.scheduled", actor__username="lan").exists()
    assert_refused(cli, ["delivery", "confirm", str(delivery.pk), "--by", "lan"], "cannot be confirmed")


def test_cancelling_an_approved_post_withdraws_its_scheduled_deliveries(cli, org):
    post_id = add_post(cli, "--submit")[1].strip()
    cli("post", "approve", post_id, "--by", "minh")
    assert cli("post", "cancel", post_id, "--by", "lan", "--reason", "Trùng lịch")[0] == 0
    assert Delivery.objects.get().state == "cancelled"
    assert json.loads(cli("post", "show", post_id, "--json")[1])["status"] == "cancelled"
    assert "0 deliveries claimed" in cli("tick", "--inline")[1]


def test_channel_set_replaces_a_token_and_clears_the_reauthorisation_flag(cli, org):
    registry.register(ScriptedPlatform)
    try:
        cli("channel", "add", "--unit", "ben-thanh", "--kind", "scripted", "--name", "fb", "--set", "token=old-token")
        Channel.objects.filter(name="fb").update(needs_reauth=True, reauth_reason="expired")
        assert cli("channel", "set", "fb", "--set", "token=new-token")[0] == 0
        assert_refused(cli, ["channel", "set", "fb", "--set", "colour=red"], "colour")
    finally:
        registry.unregister("scripted")
    channel = Channel.objects.get(name="fb")
    assert decrypt_json(channel.secrets_encrypted) == {"token": "new-token"} and not channel.needs_reauth


def test_channel_check_says_whether_the_channel_can_publish(cli, org, tmp_path):
    rc, out, _ = cli("channel", "check", "bang")
    assert rc == 0 and "bang" in out
    (tmp_path / "blocked").write_text("a file, not a folder")
    cli("channel", "add", "--unit", "ben-thanh", "--kind", "outbox", "--name", "hong", "--set", f"path={tmp_path / 'blocked'}")
    assert_refused(cli, ["channel", "check", "hong"], "hong")
    assert_refused(cli, ["channel", "check", "khong-co"], "khong-co")


def test_a_guide_from_a_fields_file_previews_per_channel(cli, org, tmp_path):
    fields = tmp_path / "huong-dan.json"
    fields.write_text(json.dumps({"service": "Đăng ký khai sinh", "portal_url": "https://dichvucong.gov.vn",
                                  "steps": ["Đăng nhập VNeID.", "Điền tờ khai."]}, ensure_ascii=False), encoding="utf-8")
    rc, out, _ = cli("post", "add", "--unit", "ben-thanh", "--kind", "guide", "--title", "Hướng dẫn khai sinh",
                     "--fields-file", str(fields), "--channel", "bang", "--by", "lan")
    assert rc == 0
    rc, out, err = cli("post", "preview", out.strip(), "--out", str(tmp_path / "xem-truoc"))
    assert rc == 0 and "bang: ok" in err
    text = (tmp_path / "xem-truoc" / "bang" / "text.txt").read_text(encoding="utf-8")
    assert "Bước 2: Điền tờ khai." in text
    snapshot = json.loads((tmp_path / "xem-truoc" / "bang" / "message.json").read_text(encoding="utf-8"))
    assert snapshot["kind"] == "guide" and snapshot["text"] == text.rstrip("\n")
    assert Delivery.objects.count() == 0, "a preview publishes nothing"


def test_a_broken_fields_file_is_refused(cli, org, tmp_path):
    broken = tmp_path / "hong.json"
    broken.write_text('{"service": "Khai sinh", "steps": [', encoding="utf-8")
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "guide", "--title", "T",
                         "--fields-file", str(broken), "--channel", "bang", "--by", "lan"], "JSON")
    empty = tmp_path / "rong.json"
    empty.write_text('{"service": "Khai sinh", "steps": []}', encoding="utf-8")
    assert_refused(cli, ["post", "add", "--unit", "ben-thanh", "--kind", "guide", "--title", "T",
                         "--fields-file", str(empty), "--channel", "bang", "--by", "lan"], "steps")


def test_a_unit_gets_its_card_colours_and_a_bad_colour_is_refused(cli, org):
    assert cli("unit", "add", "p-moi", "--name", "Phường Mới", "--parent", "hcm", "--primary-color", "#0B5394")[0] == 0
    assert Unit.objects.get(slug="p-moi").primary_color == "#0b5394"
    assert_refused(cli, ["unit", "add", "p-do", "--name", "Phường Đỏ", "--primary-color", "đỏ"], "đỏ")
