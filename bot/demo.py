"""The demo's world: units drawn from the seed articles, one channel of each kind on the sandbox,
users for every role, and posts that publish within the first minute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from bot.channel_config import channel_add, channel_update
from bot.models import Channel, Unit
from bot.feedback.saved_replies import add_reply
from bot.org import get_user, unit_add, unit_update, user_add
from bot.content.series import series_add, series_approve
from bot.content.slogans import add_slogan
from bot.posts import post_approve, post_create, post_submit
from channels import registry
from channels.sandbox.app import Sandbox, fake_class_for

PASSWORD = "loa-demo-2026"

# (slug, name, parent): places whose CCHC communication the seed articles describe.
UNITS = [
    ("binh-thuan", "UBND tỉnh Bình Thuận", None),
    ("tp-phan-thiet", "UBND thành phố Phan Thiết", "binh-thuan"),
    ("p-binh-hung", "UBND phường Bình Hưng", "tp-phan-thiet"),
    ("gia-lai", "UBND tỉnh Gia Lai", None),
    ("tx-ayun-pa", "UBND thị xã Ayun Pa", "gia-lai"),
    ("bac-kan", "UBND tỉnh Bắc Kạn", None),
    ("p-duc-xuan", "UBND phường Đức Xuân", "bac-kan"),
    ("hau-giang", "UBND tỉnh Hậu Giang", None),
    ("tp-nga-bay", "UBND thành phố Ngã Bảy", "hau-giang"),
    ("bac-lieu", "UBND tỉnh Bạc Liêu", None),
]
HOME = "p-binh-hung"
USERS = [("bientap", "editor", HOME), ("lanhdao", "approver", "tp-phan-thiet"),
         ("tiepnhan", "staff", HOME), ("quantri", "admin", "binh-thuan")]

SLOGAN = ("Cải cách hành chính vì nhân dân phục vụ",
          "Người dân và doanh nghiệp là trung tâm của cải cách hành chính. "
          "Hãy nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia: nhanh hơn, minh bạch hơn.")
GUIDE = ("Hướng dẫn nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia",
         "Bước 1: Truy cập dichvucong.gov.vn và đăng nhập bằng tài khoản định danh điện tử VNeID.\n\n"
         "Bước 2: Tìm thủ tục cần thực hiện, chọn cơ quan giải quyết là UBND phường Bình Hưng.\n\n"
         "Bước 3: Điền tờ khai, đính kèm bản chụp giấy tờ, kiểm tra lại và nộp hồ sơ.\n\n"
         "Bước 4: Theo dõi kết quả trong mục Quản lý hồ sơ; thanh toán phí, lệ phí trực tuyến nếu có.\n\n"
         "Cần hỗ trợ: Bộ phận Một cửa UBND phường, giờ hành chính các ngày làm việc.")
BULLETIN = ("Bản tin cải cách hành chính tháng này",
            "Thời gian qua, công tác tuyên truyền cải cách hành chính tiếp tục được UBND phường quan tâm, "
            "lồng ghép trong các hội nghị, cuộc họp giao ban và trên các kênh thông tin của phường.\n\n"
            "Bộ phận Một cửa tiếp tục hướng dẫn người dân nộp hồ sơ trực tuyến mức độ toàn trình, "
            "thanh toán phí, lệ phí trực tuyến và sử dụng dịch vụ bưu chính công ích.\n\n"
            "Mọi phản ánh, kiến nghị về thủ tục hành chính xin gửi qua đường dây nóng của phường "
            "hoặc nhắn tin cho Trang thông tin của UBND phường.")


@dataclass
class Seeded:
    channels: list[Channel]
    posts: list[int]


SLOGANS = [
    ("Cải cách hành chính vì nhân dân phục vụ", "Kế hoạch thông tin, tuyên truyền CCHC năm 2024"),
    ("Người dân và doanh nghiệp là trung tâm của cải cách hành chính", "Nghị quyết số 76/NQ-CP"),
    ("Nộp hồ sơ trực tuyến: nhanh hơn, minh bạch hơn, tiết kiệm hơn", ""),
    ("Xây dựng nền hành chính dân chủ, chuyên nghiệp, hiện đại, tinh gọn, hiệu lực, hiệu quả", "Nghị quyết số 76/NQ-CP"),
    ("Lấy sự hài lòng của người dân làm thước đo chất lượng phục vụ", ""),
]


def seed(sandbox_url: str, sandbox: Sandbox) -> Seeded:
    first_time = not Unit.objects.filter(slug=HOME).exists()
    if first_time:
        for slug, name, parent in UNITS:
            unit_add(slug=slug, name=name, parent_slug=parent)
        for username, role, unit in USERS:
            user_add(username=username, role=role, unit_slug=unit, password=PASSWORD)
        for text, source in SLOGANS:
            add_slogan(Unit.objects.get(slug=HOME), text, source=source)
        _demo_feedback_setup()
    channels = [c for c in (_demo_channel(kind, sandbox_url, sandbox) for kind in registry.kinds()) if c is not None]
    if first_time:
        _demo_series(channels)
    return Seeded(channels, _demo_posts(channels))


SAVED_REPLIES = [
    ("Hướng dẫn nộp hồ sơ trực tuyến",
     "Chào {ten_cong_dan}, {don_vi} cảm ơn bạn đã quan tâm. Bạn có thể nộp hồ sơ trực tuyến tại {cong_dich_vu} "
     "bằng tài khoản VNeID; cần hỗ trợ xin gọi đường dây nóng {duong_day_nong}."),
    ("Đã tiếp nhận phản ánh",
     "Chào {ten_cong_dan}, {don_vi} đã tiếp nhận phản ánh của bạn và sẽ trả lời trong thời gian sớm nhất. "
     "Trân trọng cảm ơn."),
]


def _demo_feedback_setup() -> None:
    """The demo units' contacts, so saved replies and the complaint answer have something to name."""
    unit_update(Unit.objects.get(slug="tp-phan-thiet"), hotline="0252 3821 234")
    unit_update(Unit.objects.get(slug=HOME), reception_address="Số 1 Tôn Đức Thắng, phường Bình Hưng, Phan Thiết")
    for title, text in SAVED_REPLIES:
        add_reply(Unit.objects.get(slug=HOME), title=title, text=text, by=get_user("tiepnhan"))


def _demo_series(channels: list[Channel]) -> None:
    """Two slogans a month from the library, pre-approved; the monthly bulletin as drafts to approve."""
    editor, leader, unit = get_user("bientap"), get_user("lanhdao"), Unit.objects.get(slug=HOME)
    names = [c.name for c in channels]
    slogans = series_add(unit=unit, author=editor, name="Hai khẩu hiệu mỗi tháng", channel_names=names,
                         preset="two-slogans", template={"title": "Khẩu hiệu ngày {day}/{month}/{year}"})
    series_approve(slogans, by=leader)
    series_add(unit=unit, author=editor, name="Bản tin CCHC hằng tháng", channel_names=names, preset="monthly-bulletin",
               template={"title": "Bản tin cải cách hành chính tháng {month}/{year}", "body": BULLETIN[1]})


def _demo_channel(kind: str, sandbox_url: str, sandbox: Sandbox) -> Channel | None:
    """A channel of this kind on the sandbox (its fake gets a matching account), or None."""
    adapter_cls = registry.adapter_class(kind)
    pairs = dict(adapter_cls.sandbox_settings(sandbox_url))
    fake_cls = fake_class_for(adapter_cls)
    if fake_cls is not None:
        account, account_pairs = fake_cls.demo_account(HOME, "UBND phường Bình Hưng")
        platform = sandbox.platforms[fake_cls.name]
        with platform.lock:
            platform.configure(account)
        pairs.update(account_pairs)
    if not pairs:
        return None
    name = f"{kind}-binh-hung"
    existing = Channel.objects.filter(name=name).first()
    if existing is not None:  # --keep: the sandbox may listen elsewhere now
        # Through channel_update, so a relative outbox path is resolved in the data dir like at creation.
        return channel_update(existing, dict(adapter_cls.sandbox_settings(sandbox_url)))
    return channel_add(unit=Unit.objects.get(slug=HOME), kind=kind, name=name, pairs=pairs)


def _demo_posts(channels: list[Channel]) -> list[int]:
    editor, leader = get_user("bientap"), get_user("lanhdao")
    now = timezone.now()
    posts = []
    for delay, kind, (title, body) in ((10, "slogan", SLOGAN), (25, "guide", GUIDE), (40, "bulletin", BULLETIN)):
        post = post_create(author=editor, unit=Unit.objects.get(slug=HOME), kind=kind, title=title, body=body,
                           channel_names=[c.name for c in channels], publish_at=now + timedelta(seconds=delay))
        post_submit(post, by=editor)
        post_approve(post, by=leader)
        posts.append(post.pk)
    return posts


def welcome(seeded: Seeded, web_url: str, sandbox_url: str) -> str:
    lines = [
        _("Loa demo: %(n)d posts will publish within the minute to %(channels)s.") % {
            "n": len(seeded.posts), "channels": ", ".join(c.name for c in seeded.channels)},
        _("Back-office: %(url)s  (users bientap, lanhdao, tiepnhan, quantri; password %(pw)s)") % {
            "url": web_url, "pw": PASSWORD},
        _("What the platforms received: %(url)s/_sandbox/<telegram|facebook|zalo>/state") % {"url": sandbox_url},
        _("Watch the deliveries: loa post list"),
        _("The slogan library and two series are seeded: loa slogan list --unit %(unit)s; loa series list") % {"unit": HOME},
    ]
    return "\n".join(lines)
