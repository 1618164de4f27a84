"""Rule-based triage of citizens' Vietnamese feedback: accent-insensitive phrase rules, complaints and spam first.

Pure: no Django, no database. A deployment adds or removes phrases with `rules_with(overrides)`. Phrases
(folded with `fold`, teen-code expanded, like the text they are matched against):
  "cho hỏi"         a phrase, matched on word boundaries, weight 1
  "inbox *0.5"      a trailing " *<number>" sets the weight (weak hints need company to decide)
  "=đéo"            "=" matches with accents only: for words folding makes ambiguous (đéo/đeo, cặc/các)
  "~đòi tiền"       "~" matches with accents, or folded in a message written without any diacritics: for
                    words mostly meant as written when unaccented (đòi tiền, though "theo dõi tiến độ")
  "re:<regex>"      a regular expression over the folded text; it runs on every message, so bound its
                    repeats ({1,40}, not * or +, where it can backtrack: 100,000 digits took minutes)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

QUESTION, REPORT, PROPOSAL, PRAISE = "hoi_dap", "phan_anh", "kien_nghi", "khen_ngoi"
COMPLAINT, SPAM, OTHER = "khieu_nai_to_cao", "spam", "khac"
LABELS = {QUESTION: "hỏi đáp", REPORT: "phản ánh", PROPOSAL: "kiến nghị", PRAISE: "khen ngợi",
          COMPLAINT: "khiếu nại/tố cáo", SPAM: "spam", OTHER: "khác"}
# Decided before any scoring: a complaint has a legal channel and deadlines (Law on Complaints 2011,
# Law on Denunciations 2018), so a complaint that also insults is still a complaint; then abuse and ads.
PRECEDENCE = (COMPLAINT, SPAM)
# Equal scores: the category whose mis-filing costs the citizen most wins — a problem left unfixed,
# then an unanswered question, then a proposal; praise needs no answer.
TIE_ORDER = (REPORT, QUESTION, PROPOSAL, PRAISE)
THRESHOLD = 1.0  # what COMPLAINT and SPAM need to take precedence
MINIMUM = 0.5  # what any other category needs; below it the message is "khac"

# Teen-code and shorthand, folded, as whole words -> the words rules are written with.
# Left out on purpose: "hong" (hỏng = broken), "bn" (bạn or bao nhiêu), "v", "dk" (đăng ký or điều kiện).
SHORTHAND = {"ko": "khong", "k": "khong", "kh": "khong", "khg": "khong", "hok": "khong", "hem": "khong",
             "dc": "duoc", "j": "gi", "z": "vay", "r": "roi", "ntn": "nhu the nao", "mn": "moi nguoi",
             "cx": "cung", "vs": "voi", "cb": "can bo", "sdt": "so dien thoai", "ubnd": "ub", "ubp": "ub"}

DEFAULT_RULES: dict[str, list[str]] = {
    COMPLAINT: [
        "khiếu nại", "khiếu kiện", "tố cáo", "tố giác", "đơn thư", "vi phạm pháp luật", "trái pháp luật", "trái luật",
        "tham nhũng", "tham ô", "tiêu cực", "hối lộ", "~đòi tiền", "vòi tiền", "vòi vĩnh", "phong bì",
        "tiền bồi dưỡng", "tiền trà nước", "tiền cà phê", "chung chi", "bôi trơn", "=lại quả", "ăn chặn", "ăn bớt",
        "bao che", "sai phạm", "lạm dụng chức vụ", "lạm quyền", "lợi dụng chức vụ", "lợi dụng chức quyền", "giả danh",
        "tiền ngoài", "đưa thêm tiền", "lót tay", "làm luật", "cò hồ sơ", "ăn tiền *0.5", "đưa tiền *0.5", "lo lót",
        "chạy chọt", "chạy hồ sơ", "=chạy sổ", "bằng chứng *0.5",
        # "took 5 million to get it through" (lo, chạy: to fix by connections)
        r"re:\b(nhan|dua|chi) (\d{1,4}|vai|may|mot|hai|ba|nam) ?(trieu|tr|chuc) (de|moi|thi) (lo|chay)\b",
        "không có biên lai *0.5", "thanh tra *0.5", "làm rõ *0.5",
        # "asked me for 2 million": the sum is what makes it a bribe, whatever the verb
        r"re:\b(doi|voi|bat dua) (them )?(\d{1,4}|vai|may|mot|hai|ba|nam) ?(trieu|tr|nghin|ngan|tram|k)\b",
    ],
    SPAM: [
        "vay tiền *0.5", "cho vay *0.5", "vay nhanh", "vay tiền nhanh", "vay online", "vay tiền online", "hỗ trợ vay",
        "vay vốn online", "cần tiền gấp", "không cần gặp mặt", "không cần chứng minh thu nhập", "duyệt trong *0.5",
        "trả góp *0.5", "giải ngân *0.5", "không thế chấp", "không cần thế chấp", "hỗ trợ nợ xấu", "nợ xấu *0.5",
        "lãi suất thấp *0.5", "nhà cái", "cá cược", "=cá độ", "tài xỉu", "=nổ hũ", "bắn cá", "đá gà", "=lô đề",
        "đánh đề", "soi cầu", "xóc đĩa", "soi kèo", "kèo bóng đá", "=kèo", "tỷ lệ thắng", "nhóm kín *0.5", "ship cod",
        "giảm cân", "cam kết hiệu quả", "tăng like", "tăng follow", "chạy quảng cáo", "làm nhiệm vụ", "xách tay",
        "chính hãng *0.5", "được tư vấn *0.5", r"re:\bsale \d{1,3} ?%", r"re:(?<!\d)\d{1,9} ?k? ?/ ?ngay\b *0.5",
        "app kiếm tiền", "kiếm tiền *0.5", r"re:\bnap \d{1,9} ?k? nhan\b", "casino", "baccarat", "đổi thưởng",
        "nạp đầu", "tặng code", "code tân thủ", "kiếm tiền online", "kiếm tiền tại nhà", "việc nhẹ lương cao",
        "làm tại nhà *0.5", "thu nhập hấp dẫn", "thu nhập cao *0.5", "tuyển ctv", "tuyển cộng tác viên",
        "cộng tác viên *0.5", "inbox *0.5", "ib *0.5", "lh *0.5", "liên hệ zalo *0.5", "kết bạn zalo *0.5",
        "liên hệ ngay *0.5", "gọi ngay *0.5", "bấm vào đây *0.5", "click *0.5", "nhận quà", "quà tặng *0.5", "bit.ly",
        "tinyurl", "tiền ảo", "tiền điện tử *0.5", "hoàn vốn *0.5", "lợi nhuận *0.5", r"re:\blai \d{1,3} ?%",
        "rút tiền thẻ", "đáo hạn thẻ", "nhận làm bằng", "làm bằng đại học", "=bằng giả", "=giấy tờ giả", "=cccd giả",
        "sim số đẹp", "giá rẻ *0.5", "giao hàng toàn quốc", "ship toàn quốc", "uy tín *0.5", "link trong bio",
        "link bio", r"re:(https?://|www\.)\S+ *0.5",
        r"re:(?<!\S)\S{0,40}?(bet|casino|88|vin|xoso|slot)\S{0,40}?\.(com|net|club|vip|bet|xyz|top|cc|live|me|io)\b",
        # abuse, kept short: what is unmistakable once accents are gone; the rest matched with accents
        "đm", "đmm", "đcm", "địt", "vcl", "vkl", "óc chó", "ngu như", "đồ ngu", "thằng ngu", "bọn ngu", "lũ ngu",
        "ăn bám", "=chó má", "súc vật", "khốn nạn", "mất dạy", "=đéo", "=lồn", "=cặc", "=buồi", "~ăn hại", "~mẹ mày",
        "=tụi mày", "=chúng mày", "=bọn mày", "=thằng chó", "=đồ chó", "=lũ chó",
    ],
    QUESTION: [
        "cho hỏi", "xin hỏi", "hỏi chút", "hỏi xíu", r"re:\bcho (em|e|toi|minh|con|chau|tui|anh|chi|co|bac) hoi\b",
        "làm sao", "làm thế nào", "như thế nào", "thế nào", "ra sao", "kiểu gì", "cách nào", "bao lâu", "bao nhiêu",
        "bao giờ", "khi nào", "lúc nào", "hôm nào", "mấy giờ", "mấy ngày", "ở đâu", "đâu ạ", "chỗ nào", "nơi nào",
        "phường nào", "nào vậy", "giấy tờ gì", "cần gì", "những gì", "gì không", "gì ạ", "gì vậy", "là sao",
        "được không", "có được", "không ạ", "không vậy", "không ad", "hay không", "hay phải", "phải không", "có phải",
        "có cần", "chưa ạ", "chưa ad", "vậy ạ *0.5", "ad ơi *0.5", "thủ tục *0.3", "hướng dẫn giúp", "chỉ giúp", "?",
        "được chưa", "xong chưa", "có chưa", "=hả", "=hở", "=gì *0.5", "=đâu *0.5",
        # "có ... không?" without its question mark: "không" closing the sentence asks
        r"re:\bkhong( a| ad| vay| ha| nhi| nhe)?\s*[?.!]*$", "=nào *0.5", "=ai *0.5",
    ],
    REPORT: [
        "phản ánh", "chậm trễ", "trễ hẹn", "trễ hạn", "bị trễ", "quá hạn", "quá hẹn", "hẹn đi hẹn lại",
        "hẹn lần hẹn lượt", "hẹn hoài", "gây khó dễ", "gây khó khăn", "làm khó", "nhũng nhiễu", "hạch sách",
        "hách dịch", "cửa quyền", "không giải quyết", "không được giải quyết", "chưa giải quyết",
        "chưa được giải quyết", "chưa có kết quả", "chưa xong", "vẫn chưa", "đến giờ vẫn", "tới giờ vẫn",
        "đến nay vẫn", "chờ mãi", "chờ hoài", "đợi mãi", "đợi hoài", "chờ lâu", "mãi không", "hoài không", "thái độ",
        "=quát", "cáu gắt", "khó chịu", "to tiếng", "thiếu tôn trọng", "sai sót", "ghi sai", "bị sai", "nhập sai",
        "sai tên", "sai thông tin", "bị lỗi", "báo lỗi", "hệ thống lỗi", "lỗi hệ thống", "không tải được",
        "không truy cập được", "không vào được", "không gửi được", "không nộp được", "không ai bắt máy",
        "không bắt máy", "không nghe máy", "không liên lạc được", "gọi không được", "máy bận", "không ai trả lời",
        "bức xúc", "bực mình", "thất vọng", "chậm quá", "quá chậm", "rất chậm", "làm chậm", "chậm chạp", "từ chối",
        "=bắt lên", "=bắt về", "bắt phải", "bắt dân", "đi lại nhiều lần", "nhiều lần *0.5", "mấy lần *0.5",
        r"re:\b(\d{1,3}|hai|ba|bon|nam) lan\b *0.5", "về tay không", "mất thời gian", "tốn thời gian", "bị hư",
        "bị hỏng", "hỏng hết", "hư hỏng", "không hoạt động", "không còn ai", "không có ai", "bỏ vị trí", "nghỉ sớm",
        "không thấy ai", "chen lấn", "mất trật tự", "làm gì nữa *0.5", "vẫn bắt", "vẫn phải *0.5", "vẫn báo",
        "không ai hướng dẫn", "sao không *0.5", "thực tế *0.5", "thu tiền *0.5", "thu phí *0.5", "=lỗi", "=chờ *0.5",
        "=đợi *0.5", "=hư *0.5", "bị treo", "=bị đơ", "làm mất", "nộp lại từ đầu", "=bắt tôi", "=bắt mình", "=bắt em",
        "chả biết *0.5", "chẳng biết *0.5", "một kiểu *0.5", "qua lượt", "không nghe được *0.5", "không ai rep",
        "chưa ai rep", "không phản hồi", "chưa phản hồi", "chưa ai trả lời", "văng ra", "không làm được gì",
        "mệt mỏi", "=đứng chờ", "làm việc riêng", "không ai liên hệ", "nhầm *0.5", "=sai *0.5", "đăng sai", "in sai",
        r"re:\b(\d{1,3}|may|ca|hai|ba) (ngay|tuan|thang|hom) (roi|nay|van|ma|chua)\b *0.5", "😡", "😠", "🤬",
    ],
    PROPOSAL: [
        "kiến nghị", "đề nghị", "đề xuất", "góp ý", "ý kiến *0.5", "xin được", "mong phường", "mong ub", "mong các",
        "mong sớm", "mong có", "mong được *0.5", "rất mong", "mong muốn", "mong là", "hy vọng", "hi vọng",
        "phường nên", "ub nên", "chúng ta nên", "mình nên", "nên chăng", "~nên có", "~nên bố trí", "~nên tổ chức",
        "~nên làm", "~nên để", "~nên thêm", "~nên đăng", "~nên ghim", "~nên gộp", "~nên mở", "~nên cho", "~nên nhắn",
        "~nên lắp", "~nên xem xét", "~nên công khai", "~nên áp dụng", "~nên hướng dẫn", "~nên kéo dài", "=nên tăng",
        "~nên giảm", "~nên bỏ", "em nghĩ *0.5", "tôi nghĩ *0.5", "mình nghĩ *0.5", "bố trí thêm", "mở thêm",
        "lắp thêm", "cần có thêm", "cần bố trí", "có thêm *0.5", "xem xét", "tạo điều kiện", "giá như", "=giá mà",
        "phải chi", "thì tốt", "sẽ tốt hơn", "cho dễ *0.5", "để dễ *0.5", "đỡ phải *0.5", "khỏi phải *0.5",
        "theo tôi *0.5", "theo mình *0.5", "theo em *0.5", "hay là *0.5", "ước gì", "ước chi", "ước có",
        # "sao không ... nhỉ?" is how a suggestion is put as a question
        r"re:\bsao khong .{1,80}\bnhi\b", r"re:\bco the .{1,60} duoc khong\b *0.5",
    ],
    PRAISE: [
        "cảm ơn", "cám ơn", "camon", "thanks", "thank", "tks", "thks", "tận tình", "nhiệt tình", "chu đáo", "tận tâm",
        "hài lòng", "khen", "tuyệt vời", "tuyệt", "rất tốt", "làm tốt", "tốt lắm", "dịch vụ tốt", "quá nhanh",
        "nhanh quá", "rất nhanh", "nhanh chóng", "nhanh gọn", "biết ơn", "ủng hộ", "chuyên nghiệp", "vui vẻ",
        "lịch sự", "niềm nở", "dễ hiểu *0.5", "bổ ích", "hữu ích", "=hay quá", "like *0.5", "👏", "❤", "🥰", "😍", "💯",
        "10 điểm", "ấn tượng", "phát huy", "đơn giản hơn", "thuận tiện", "tiện lợi", "không phải chờ", "sạch sẽ",
        "cảm kích", "rất hay", "hay lắm", "dễ thương", "=rất kỹ", "rõ ràng *0.5", "khỏe hơn", "=tiện hơn", "đáng quý",
        "đáng khen", "5 sao", "⭐", "hơn xưa *0.5", "hơn trước *0.5",
    ],
}


def fold(text: str) -> str:
    """NFC, lower case, accents removed (đ -> d), whitespace collapsed: "Khiếu  Nại" -> "khieu nai"."""
    text = unicodedata.normalize("NFC", text or "").lower().replace("đ", "d")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(bare.split())


_SHORTHAND_RE = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, SHORTHAND)) + r")(?![\w.])")


def _expand(folded: str) -> str:
    return _SHORTHAND_RE.sub(lambda m: SHORTHAND[m.group(1)], folded)


def normalise(text: str) -> str:
    """What rules are matched against: folded, with teen-code written out ("ko dc" -> "khong duoc")."""
    return _expand(fold(text))


def accented(text: str) -> str:
    """What "=" rules are matched against: NFC, lower case, whitespace collapsed, accents kept."""
    return " ".join(unicodedata.normalize("NFC", text or "").lower().split())


@dataclass(frozen=True)
class Rule:
    category: str
    phrase: str  # as written, without its weight: what `Verdict.matched` reports
    pattern: re.Pattern
    weight: float
    exact: bool  # matched against `accented`, not `normalise`
    fallback: re.Pattern | None = None  # a "~" rule's folded form, for messages without diacritics
    # The text a phrase's pattern (and fallback) matches, "" for regular expressions: a cheap test first,
    # since a pattern that starts with a lookbehind is tried at every position of the message.
    needle: str = ""
    fallback_needle: str = ""


@dataclass(frozen=True)
class Verdict:
    category: str
    matched: tuple[str, ...]  # the chosen category's phrases found in the text
    is_complaint: bool
    is_spam: bool


_WEIGHT_RE = re.compile(r"\s\*(\d+(?:\.\d+)?)$")
_WORD_RE = re.compile(r"\w+")


def _first_word(needle: str) -> str:
    # _literal puts word boundaries around a phrase that starts with a letter or digit, so wherever the
    # phrase matches, its first word is a whole word of the text; "" when it starts otherwise ("?", emoji).
    match = _WORD_RE.match(needle)
    return match.group() if match else ""


def _literal(text: str) -> re.Pattern:
    # Word boundaries only where the phrase starts or ends with a letter or digit ("?" and emoji have none).
    left = r"(?<!\w)" if re.match(r"\w", text[0]) else ""
    right = r"(?!\w)" if re.match(r"\w", text[-1]) else ""
    return re.compile(left + re.escape(text) + right)


def compile_rule(category: str, entry: str) -> Rule:
    """One phrase of a rule list -> a Rule; ValueError naming the phrase when it cannot be used."""
    weight_match = _WEIGHT_RE.search(entry)
    weight = float(weight_match.group(1)) if weight_match else 1.0
    phrase = entry[: weight_match.start()] if weight_match else entry
    if weight <= 0 or not phrase.strip(" =~") or phrase.strip() == "re:":
        raise ValueError(f"The feedback rule {entry!r} for {category!r} is empty or has no weight.")
    if phrase.startswith("re:"):
        try:
            return Rule(category, phrase, re.compile(phrase[3:]), weight, False)
        except re.error as exc:
            raise ValueError(f"The feedback rule {entry!r} for {category!r} is not a valid regular expression "
                             f"({exc}).") from None
    if phrase[0] in "=~":
        exact, folded = accented(phrase[1:]), normalise(phrase[1:]) if phrase[0] == "~" else ""
        return Rule(category, phrase, _literal(exact), weight, True, _literal(folded) if folded else None, exact, folded)
    folded = normalise(phrase)
    return Rule(category, phrase, _literal(folded), weight, False, needle=folded)


@dataclass(frozen=True)
class Rules:
    """Compiled rules with the decision settings: precedence threshold, minimum score, tie order."""

    rules: tuple[Rule, ...]
    threshold: float = THRESHOLD
    minimum: float = MINIMUM
    tie_order: tuple[str, ...] = TIE_ORDER
    # (matched against the accented text?, first word) -> positions of the phrases starting with that word
    _by_word: dict[tuple[bool, str], tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _always: tuple[int, ...] = field(init=False, repr=False, compare=False)  # regexes, "?", emoji

    def __post_init__(self):
        by_word: dict[tuple[bool, str], list[int]] = {}
        always = []
        for position, rule in enumerate(self.rules):
            keys = [(rule.exact, _first_word(rule.needle))]
            if rule.fallback is not None:
                keys.append((False, _first_word(rule.fallback_needle)))
            if not all(word for _, word in keys):
                always.append(position)
                continue
            for key in keys:
                by_word.setdefault(key, []).append(position)
        object.__setattr__(self, "_by_word", {key: tuple(found) for key, found in by_word.items()})
        object.__setattr__(self, "_always", tuple(always))

    def candidates(self, folded: str, exact: str) -> list[Rule]:
        """The rules that can match, in rule order: the phrases whose first word is a word of the text, and
        the rest. Trying all ~500 rules on every message was 85 % of the cost of storing it."""
        found = set(self._always)
        for is_exact, text in ((False, folded), (True, exact)):
            for word in set(_WORD_RE.findall(text)):
                found.update(self._by_word.get((is_exact, word), ()))
        return [self.rules[position] for position in sorted(found)]

    @classmethod
    def from_dict(cls, phrases: Mapping[str, Iterable[str]], **settings) -> Rules:
        unknown = sorted(set(phrases) - set(PRECEDENCE) - set(TIE_ORDER))
        if unknown:
            raise ValueError(f"Unknown feedback categories in the rules: {', '.join(unknown)} (known: "
                             f"{', '.join(PRECEDENCE + TIE_ORDER)}).")
        compiled = {}
        for rule in (compile_rule(c, e) for c, entries in phrases.items() for e in entries):
            # "cảm ơn" and "cám ơn" fold alike: one phrase, counted once
            compiled.setdefault((rule.category, rule.pattern.pattern, rule.exact, rule.fallback is None), rule)
        return cls(tuple(compiled.values()), **settings)


def merge(base: Mapping[str, Iterable[str]], overrides: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """The base lists with the overrides' phrases added; an override "-phrase" removes that phrase."""
    merged = {category: list(entries) for category, entries in base.items()}
    for category, entries in overrides.items():
        current = merged.setdefault(category, [])
        for entry in entries:
            if entry.startswith("-"):
                current[:] = [e for e in current if normalise(e) != normalise(entry[1:])]
            elif entry not in current:
                current.append(entry)
    return merged


def rules_with(overrides: Mapping[str, Iterable[str]], **settings) -> Rules:
    """A deployment's rules: DEFAULT_RULES changed by `overrides` (e.g. from settings), compiled."""
    return Rules.from_dict(merge(DEFAULT_RULES, overrides), **settings)


DEFAULT = Rules.from_dict(DEFAULT_RULES)


def _hit(rule: Rule, folded: str, exact: str, plain: bool) -> bool:
    if not rule.exact:
        return rule.needle in folded and bool(rule.pattern.search(folded))
    # Written without diacritics, "đòi tiền" and "dõi tiến" look the same: a "~" rule takes the risk.
    if plain and rule.fallback:
        return rule.fallback_needle in folded and bool(rule.fallback.search(folded))
    return rule.needle in exact and bool(rule.pattern.search(exact))


def matches(text: str, rules: Rules = DEFAULT) -> dict[str, list[Rule]]:
    """The rules found in the text, by category."""
    bare, exact = fold(text), accented(text)
    folded, plain = _expand(bare), bare == exact
    found: dict[str, list[Rule]] = {}
    for rule in rules.candidates(folded, exact):
        if _hit(rule, folded, exact, plain):
            found.setdefault(rule.category, []).append(rule)
    return found


def decide(score: Mapping[str, float], rules: Rules = DEFAULT) -> str:
    """Precedence first (complaint, then spam), then the best score, ties in `tie_order`; else "khac"."""
    for category in PRECEDENCE:
        if score.get(category, 0) >= rules.threshold:
            return category
    ranked = sorted(rules.tie_order, key=lambda c: (-score.get(c, 0), rules.tie_order.index(c)))
    best = ranked[0] if ranked else OTHER
    return best if score.get(best, 0) >= rules.minimum else OTHER


def classify(text: str, rules: Rules = DEFAULT) -> Verdict:
    """The category for a message, with the phrases that decided it; a category's score is the sum of the
    weights of its phrases found (each once)."""
    found = matches(text, rules)
    category = decide({c: sum(r.weight for r in rs) for c, rs in found.items()}, rules)
    matched = tuple(r.phrase for r in found.get(category, ()))
    return Verdict(category, matched, category == COMPLAINT, category == SPAM)


COMPLAINT_TEMPLATE = (
    "Kính gửi Ông/Bà, {unit} cảm ơn Ông/Bà đã liên hệ. Nội dung Ông/Bà gửi có tính chất khiếu nại, tố cáo "
    "nên không được giải quyết qua kênh tiếp nhận phản ánh, kiến nghị trên mạng xã hội. Theo Luật Khiếu "
    "nại năm 2011 và Luật Tố cáo năm 2018, Ông/Bà vui lòng gửi đơn (ghi rõ họ tên, địa chỉ, nội dung và ký "
    "tên) hoặc đến trình bày trực tiếp tại Ban tiếp công dân của {unit}, hoặc gửi đơn qua đường bưu điện, "
    "theo địa chỉ: {address}. Thông tin của người tố cáo được giữ bí mật theo quy định của pháp luật; để "
    "bảo vệ thông tin cá nhân, Ông/Bà không nên đăng nội dung đơn và giấy tờ công khai trên mạng xã hội. "
    "Mọi thắc mắc xin liên hệ đường dây nóng {hotline}. Trân trọng."
)
_PLACEHOLDER_RE = re.compile(r"\{(unit|address|hotline)\}")


def complaint_answer(unit: str, address: str, hotline: str, template: str = COMPLAINT_TEMPLATE) -> str:
    """The answer to a complaint or denunciation: the formal channel, with the unit's details filled in.

    Only {unit}, {address} and {hotline} are replaced, so other braces in a deployment's template stay."""
    values = {"unit": unit, "address": address, "hotline": hotline}
    filled = _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)].strip(), template)
    return unicodedata.normalize("NFC", filled)
