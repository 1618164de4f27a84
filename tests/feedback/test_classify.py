"""Triage of citizens' feedback: how often the rules agree with staff on hand-labelled messages, that every
complaint is caught, that questions and praise are never thrown away as spam, and that a deployment can
change the rules.

Honest numbers: the rules were written after LABELLED and reach ~98 % on it; on text they had not seen
they reached 66.7 % (HELDOUT, first version of the rules) and 74.4 % (FRESH, second version), each run
once before the rules were widened with what those misses taught. Both sets are development data now, so
the floors below guard against regressions; expect roughly 70-80 % on a ward's real inbox, which is why
the category is a suggestion staff confirm.
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter

import pytest
from hypothesis import given, strategies as st

from bot.feedback.classify import (
    COMPLAINT, COMPLAINT_TEMPLATE, DEFAULT, LABELS, OTHER, PRAISE, PROPOSAL, QUESTION, REPORT, SPAM, Rules,
    classify, complaint_answer, fold, rules_with,
)
from tests.feedback.labelled import FRESH, HELDOUT, LABELLED

ALL = LABELLED + HELDOUT + FRESH


def accuracy(examples) -> tuple[float, dict[str, tuple[int, int]], list[str]]:
    right, total, misses = Counter(), Counter(), []
    for text, expected in examples:
        got = classify(text).category
        total[expected] += 1
        right[expected] += got == expected
        if got != expected:
            misses.append(f"  {expected} -> {got}: {text}")
    per_category = {c: (right[c], total[c]) for c in total}
    return sum(right.values()) / sum(total.values()), per_category, misses


def report(name: str, examples) -> tuple[float, str]:
    overall, per_category, misses = accuracy(examples)
    lines = [f"{name}: {overall:.1%} of {len(examples)}"]
    lines += [f"  {c:<17} {LABELS[c]:<17} {r:>3}/{t:<3} {r / t:.1%}" for c, (r, t) in per_category.items()]
    text = "\n".join(lines + misses)
    print("\n" + text)
    return overall, text


def test_the_rules_agree_with_staff_on_the_labelled_messages():
    overall, text = report("LABELLED (written before the rules)", LABELLED)
    assert len(LABELLED) >= 120 and overall >= 0.95, text


def test_the_rules_agree_with_staff_on_every_message_written_so_far():
    overall, text = report("LABELLED + HELDOUT + FRESH", ALL)
    for category in LABELS:
        assert sum(1 for _, c in LABELLED if c == category) >= 15, category
    assert overall >= 0.95, text


def test_every_complaint_or_denunciation_is_caught():
    # A complaint filed as feedback misses its legal channel and deadlines: recall must be total.
    missed = [t for t, c in ALL if c == COMPLAINT and classify(t).category != COMPLAINT]
    assert missed == []
    assert all(classify(t).is_complaint for t, c in ALL if c == COMPLAINT)


def test_no_question_or_praise_is_thrown_away_as_spam():
    wrongly = [t for t, c in ALL if c in (QUESTION, PRAISE) and classify(t).is_spam]
    assert wrongly == []


@pytest.mark.parametrize("text", [
    "Tôi muốn khiếu nại quyết định của phường", "toi muon khieu nai quyet dinh cua phuong",
    "TÔI MUỐN KHIẾU NẠI QUYẾT ĐỊNH CỦA PHƯỜNG", unicodedata.normalize("NFD", "Tôi muốn khiếu nại quyết định"),
    "Tôi   muốn\tkhiếu\n nại",
])
def test_accents_case_spacing_and_nfd_do_not_change_the_verdict(text):
    assert classify(text).category == COMPLAINT
    assert classify(text).matched == ("khiếu nại",)


@pytest.mark.parametrize("text, category", [
    ("cho hoi lam can cuoc o dau", QUESTION), ("cho hỏi làm căn cước ở đâu", QUESTION),
    ("ho so tre hen 5 ngay roi", REPORT), ("de nghi phuong mo them quay", PROPOSAL),
    ("cam on can bo phuong nhiet tinh", PRAISE), ("ko dc giai quyet", REPORT),
])
def test_messages_written_without_diacritics_or_in_teen_code_are_understood(text, category):
    assert classify(text).category == category


def test_fold_removes_accents_lowercases_and_collapses_spaces():
    assert fold("  Khiếu  Nại,\tTỐ CÁO  ") == "khieu nai, to cao"
    assert fold("Đơn đề nghị") == "don de nghi"
    assert fold(unicodedata.normalize("NFD", "Phường Bến Thành")) == "phuong ben thanh"


@given(st.text())
def test_fold_is_the_same_for_nfc_and_nfd_and_is_idempotent(text):
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text)) == fold(fold(text))


def test_phrases_match_whole_words_only():
    assert classify("Nền tảng số giúp nộp hồ sơ nhanh hơn").category != PROPOSAL  # "nền" is not "nên"
    assert classify("Nhà tôi đang đổ móng").category == OTHER  # "móng" is not "mong"
    assert classify("Khoản tiền này").category == OTHER  # "khoản" does not hold "k"/"không"


def test_words_that_folding_confuses_are_told_apart_when_the_writer_used_accents():
    # "dõi tiến" and "đòi tiền" fold alike; "lo để" and "lô đề" too.
    assert classify("Theo dõi tiến độ hồ sơ ở đâu ạ?").category == QUESTION
    assert classify("Tôi lo để hồ sơ quá hạn").category != SPAM
    assert classify("Cán bộ đòi tiền mới làm").category == COMPLAINT
    # Without any diacritics the writer cannot be told apart either: the rule still applies.
    assert classify("can bo doi tien moi lam").category == COMPLAINT


def test_complaints_and_spam_take_precedence_over_everything_else():
    assert classify("Đm bọn cán bộ tham nhũng, tôi sẽ tố cáo").category == COMPLAINT
    assert classify("Cảm ơn phường, nhưng tôi vẫn khiếu nại quyết định này").category == COMPLAINT
    assert classify("Cho hỏi ai cần vay tiền nhanh không thế chấp thì ib nhé?").category == SPAM


def test_weak_hints_alone_are_not_enough_for_spam():
    assert classify("Link dịch vụ công ở đâu vậy ad, inbox em với").category == QUESTION


def test_a_message_nothing_matches_is_other_with_nothing_matched():
    verdict = classify("Hôm nay trời đẹp quá")
    assert (verdict.category, verdict.matched, verdict.is_complaint, verdict.is_spam) == (OTHER, (), False, False)
    assert classify("").category == OTHER


def test_the_verdict_names_the_phrases_that_decided_it():
    verdict = classify("Cảm ơn cán bộ đã hướng dẫn tận tình")
    assert verdict.category == PRAISE and set(verdict.matched) == {"cảm ơn", "tận tình"}


def test_equal_scores_follow_the_documented_order():
    rules = Rules.from_dict({PRAISE: ["alpha"], REPORT: ["beta"], QUESTION: ["gamma"]})
    assert classify("alpha beta gamma", rules).category == REPORT
    assert classify("alpha gamma", rules).category == QUESTION
    reversed_order = Rules.from_dict({PRAISE: ["alpha"], REPORT: ["beta"]}, tie_order=(PRAISE, REPORT))
    assert classify("alpha beta", reversed_order).category == PRAISE


def test_a_deployment_adds_and_removes_phrases():
    text = "Mua vé số Vietlott đi mọi người"
    assert classify(text).category == OTHER
    assert classify(text, rules_with({SPAM: ["vé số"]})).category == SPAM
    assert classify("Cảm ơn ad").category == PRAISE
    assert classify("Cảm ơn ad", rules_with({PRAISE: ["-cảm ơn"]})).category == OTHER


def test_a_deployment_sets_weights_and_thresholds():
    weak = rules_with({SPAM: ["vé số *0.5"]})
    assert classify("Mua vé số đi", weak).category == OTHER
    assert classify("Mua vé số đi", rules_with({SPAM: ["vé số *0.5"]}, threshold=0.5)).category == SPAM
    assert classify("Cho vay", DEFAULT).category == OTHER  # "cho vay" alone is a weak hint (0.5)


@pytest.mark.parametrize("rules, fragment", [
    ({"rumour": ["tin đồn"]}, "Unknown feedback categories"), ({SPAM: ["re:(unclosed"]}, "regular expression"),
    ({SPAM: ["  *0.5"]}, "empty"), ({SPAM: ["="]}, "empty"),
])
def test_rules_that_cannot_be_used_are_refused_with_a_sentence(rules, fragment):
    with pytest.raises(ValueError, match=fragment):
        rules_with(rules)


def test_the_complaint_answer_names_the_formal_channel_and_the_units_details():
    answer = complaint_answer("UBND phường Bến Thành", "135 Nam Kỳ Khởi Nghĩa, Quận 1", " 028 3829 1234 ")
    assert "UBND phường Bến Thành" in answer and "135 Nam Kỳ Khởi Nghĩa, Quận 1" in answer
    assert "đường dây nóng 028 3829 1234." in answer
    for words in ("Luật Khiếu nại năm 2011", "Luật Tố cáo năm 2018", "Ban tiếp công dân", "bưu điện"):
        assert words in answer
    assert "{" not in answer and answer == unicodedata.normalize("NFC", answer)


def test_a_deployment_template_keeps_its_other_braces():
    template = "{unit} — {address} — {hotline} — {not_a_placeholder}"
    assert complaint_answer("A", "B", "C", template=template) == "A — B — C — {not_a_placeholder}"
    assert "{unit}" in COMPLAINT_TEMPLATE and "{address}" in COMPLAINT_TEMPLATE and "{hotline}" in COMPLAINT_TEMPLATE


@pytest.mark.parametrize("text", ["0" * 100_000, "8" * 100_000, "https://" + "bet" * 30_000,
                                  "cho hoi lam sao " * 6_000])
def test_a_huge_message_is_classified_in_linear_time(text):
    # Unbounded repeats in two rules once took 9 minutes on 100,000 digits; now about a second.
    started = time.perf_counter()
    classify(text)
    assert time.perf_counter() - started < 15
