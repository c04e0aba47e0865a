"""Money is written one way ("Rs 1,365", paisa only when not zero) by one function, `kernel.money.money` (the
`money` template filter is the same function): this scan fails on a template or module that formats an amount by
hand, so a new page cannot drift into "1365.00 PKR" or "Rs 1365"."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template

from kernel.money import money

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("config", "kernel", "tenants", "shared_apps", "tenant_apps", "marketplace", "demo", "templates")
# Where amounts are written by another party's rules (the providers' sandboxes) or not shown to people at all.
SKIPPED_PARTS = {"tests", "migrations", "sandboxes", "benchmarks", "management"}
MONEY_WORDS = r"(price|total|amount|fee|revenue|subtotal|refund|paid|gross|net|commission|order_value)"

TEMPLATE_STRAYS = [
    re.compile(r"(Rs|PKR)\.?\s*\{\{"),  # "Rs {{ v.price }}": the symbol glued by hand
    re.compile(r"\}\}\s*(Rs|PKR)\b"),
    re.compile(r"\|\s*intcomma"),
    re.compile(r"\{\{[^}]*" + MONEY_WORDS + r"[^}]*\|\s*floatformat"),
]
CODE_STRAYS = [
    re.compile(r"\{[^{}]*:,(\.\d)?[df]?\}"),  # f"{amount:,.2f}": digits grouped by hand
    re.compile(r"\{[^{}]*" + MONEY_WORDS + r"[^{}]*\}\s*\{[^{}]*currency[^{}]*\}"),  # f"{amount} {currency}"
    re.compile(r"[\"'](Rs|PKR) \{"),  # f"Rs {amount}"
]
ALLOWED = {
    ("kernel", "money.py"),  # the one function
    ("tenant_apps", "catalog", "errors.py"),  # "at most 5,000 rows": a count, not money
}


def _files(suffix: str) -> list[Path]:
    found = []
    for top in SCANNED:
        for path in (ROOT / top).rglob(f"*{suffix}"):
            parts = path.relative_to(ROOT).parts
            if SKIPPED_PARTS & set(parts) or parts in ALLOWED:
                continue
            found.append(path)
    return found


def _strays(paths: list[Path], patterns: list[re.Pattern]) -> list[str]:
    strays = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(pattern.search(line) for pattern in patterns):
                strays.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:160]}")
    return strays


def test_no_template_formats_money_by_hand():
    strays = _strays(_files(".html") + _files(".txt"), TEMPLATE_STRAYS)
    assert not strays, "write money with {{ amount|money }}:\n" + "\n".join(strays)


def test_no_module_formats_money_by_hand():
    strays = _strays(_files(".py"), CODE_STRAYS)
    assert not strays, "write money with kernel.money.money:\n" + "\n".join(strays)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1365"), "Rs 1,365"),
        (Decimal("1365.00"), "Rs 1,365"),
        (Decimal("1365.50"), "Rs 1,365.50"),
        (Decimal("0.5"), "Rs 0.50"),
        (Decimal("0"), "Rs 0"),
        (Decimal("-80"), "Rs -80"),
        ("1234567.05", "Rs 1,234,567.05"),
        (None, ""),
    ],
)
def test_money_is_rupees_with_paisa_only_when_not_zero(amount, text):
    assert money(amount) == text


def test_the_template_filter_is_the_same_function_and_needs_no_load():
    rendered = Template("{{ a|money }} · {{ b|money:'PKR' }}").render(Context({"a": Decimal("1365"), "b": "99.5"}))
    assert rendered == "Rs 1,365 · Rs 99.50"
