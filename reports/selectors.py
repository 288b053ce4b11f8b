"""Reads of the reports app. Implements REP-1 (licence report), REP-2 (active subscriptions), REP-3 (reseller
statement) and the payloads of REP-4 deliveries.

Every list starts from what the authority lets the viewer see (``access.visible``): the licence report lists the
licences the viewer may see, statements exist only for accounts on which the viewer holds ``view_statements``.

Money: ``Decimal`` in EUR, rounded half-up to the cent per line; totals are sums of the rounded lines (what
the ERP's collective invoice adds up). Pro rata: price × days active in the month ÷ days of the month.
A subscription is active on day d when ``started_on ≤ d``, d is before ``ended_on`` (the day it stopped,
``licenses.models``: periods are half-open) and before the day it was voided.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountKind
from licenses.models import Kind, License, Price, ResellerPrice, Subscription, SubscriptionRenewal, Term
from licenses.periods import add_term
from portal import access
from portal.csv import BOM, safe_cell
from portal.money import money

from .filtersets import LicenseReportFilterSet
from .models import Content, Delivery, Destination


def month_bounds(month: str | date) -> tuple[date, date]:
    """First day and the first day after the month (``"2026-02"`` → 2026-02-01, 2026-03-01)."""
    if isinstance(month, str):
        year, number = month.split("-")
        first = date(int(year), int(number), 1)
    else:
        first = month.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    return first, first + timedelta(days=days)


def parse_month(value: str | None) -> date | None:
    try:
        year, number = (value or "").strip().split("-")
        return date(int(year), int(number), 1)
    except (ValueError, TypeError):
        return None


# --- REP-1 ---------------------------------------------------------------------------------------------------

LICENSE_COLUMNS: list[tuple[str, str]] = [
    ("key", "Lizenzschlüssel"),
    ("kind", "Art"),
    ("status", "Status"),
    ("product__article_number", "Artikelnummer"),
    ("product__name", "Produkt"),
    ("holder__number", "Kundennummer"),
    ("holder__name", "Kunde"),
    ("issuer__number", "Händlernummer"),
    ("issuer__name", "Händler"),
    ("tenant__number", "Mandant"),
    ("quantity", "Arbeitsplätze"),
    ("issued_at", "Ausgestellt"),
    ("expires_at", "Läuft ab"),
]


def licenses_visible(user) -> QuerySet[License]:
    return access.visible(user, License)


def license_report(user, params=None) -> tuple[LicenseReportFilterSet, QuerySet[License]]:
    """The filtered licences ``user`` may see, newest first (the FilterSet carries the form and its errors)."""
    filterset = LicenseReportFilterSet(params or None, queryset=licenses_visible(user))
    queryset = (
        filterset.qs if not filterset.is_bound or filterset.is_valid() else licenses_visible(user).none()
    )
    return filterset, queryset.select_related("product", "holder", "issuer", "tenant").order_by(
        "-issued_at", "-id"
    )


def license_rows(queryset: QuerySet[License]) -> QuerySet:
    """The report's columns as a ``values_list`` (streamed by COPY on PostgreSQL, portal.csv)."""
    return queryset.order_by("-issued_at", "-id").values_list(*[name for name, _label in LICENSE_COLUMNS])


def license_header() -> list[str]:
    return [label for _name, label in LICENSE_COLUMNS]


# --- REP-2 ---------------------------------------------------------------------------------------------------


def subscriptions_visible(user) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        license__in=licenses_visible(user).filter(kind__in=[Kind.SUBSCRIPTION, Kind.NFR])
    )


def _end(subscription: Subscription) -> date | None:
    """The first day the subscription is no longer active (None: still running)."""
    ends = [
        d
        for d in (
            subscription.ended_on,
            subscription.voided_at and timezone.localdate(subscription.voided_at),
        )
        if d
    ]
    return min(ends) if ends else None


def active_at(user, cutoff: date) -> QuerySet[Subscription]:
    """Subscriptions (and NFR) active on ``cutoff``."""
    return (
        subscriptions_visible(user)
        .filter(started_on__lte=cutoff)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=cutoff))
        .filter(Q(voided_at__isnull=True) | Q(voided_at__date__gt=cutoff))
        .select_related("license", "license__product", "license__holder", "license__issuer")
        .order_by("license__holder__number", "license__key")
    )


def overlapping(queryset: QuerySet[Subscription], first: date, after: date) -> QuerySet[Subscription]:
    return (
        queryset.filter(started_on__lt=after)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=first))
        .filter(Q(voided_at__isnull=True) | Q(voided_at__date__gt=first))
    )


def days_active(subscription: Subscription, first: date, after: date) -> tuple[date, date, int]:
    """(from, until exclusive, days) of ``subscription`` within [first, after)."""
    start = max(subscription.started_on, first)
    end = _end(subscription)
    stop = min(end, after) if end else after
    return start, stop, max((stop - start).days, 0)


@dataclass
class MonthRow:
    subscription: Subscription
    start: date
    stop: date
    days: int
    month_days: int
    share: Decimal
    events: list[str]

    @property
    def last_day(self) -> date:
        return self.stop - timedelta(days=1)


def subscriptions_in_month(user, month: date) -> list[MonthRow]:
    """REP-2 per month: every subscription active in the month, with days and its pro-rata share of the month,
    and what happened within it (begun, ended, voided, swapped)."""
    first, after = month_bounds(month)
    month_days = (after - first).days
    rows = []
    queryset = (
        overlapping(subscriptions_visible(user), first, after)
        .select_related("license", "license__product", "license__holder", "license__issuer", "replaces")
        .order_by("license__holder__number", "license__key")
    )
    for sub in queryset.iterator(chunk_size=1000):
        start, stop, days = days_active(sub, first, after)
        if days <= 0:
            continue
        events = []
        if first <= sub.started_on < after:
            events.append("swapped_in" if sub.replaces_id else "begun")
        if sub.ended_on and first <= sub.ended_on < after and not sub.voided_at:
            events.append("ended")
        if sub.voided_at and first <= timezone.localdate(sub.voided_at) < after:
            events.append("swapped_out" if sub.void_reason == "swap" else "voided")
        rows.append(
            MonthRow(
                sub,
                start,
                stop,
                days,
                month_days,
                (Decimal(days) / Decimal(month_days)).quantize(Decimal("0.0001"), ROUND_HALF_UP),
                events,
            )
        )
    return rows


EVENT_LABELS = {
    "begun": "begonnen",
    "swapped_in": "eingetauscht (neu)",
    "ended": "beendet",
    "voided": "storniert",
    "swapped_out": "eingetauscht (storniert)",
}


# --- REP-3 ---------------------------------------------------------------------------------------------------


def statement_account(user, number: str) -> Account:
    """The reseller ``number`` for its statement: 404 when the user cannot see the account, 403 when it sees
    it without ``view_statements`` (a reseller's sales user)."""
    from portal.errors import NotFound

    account = access.visible(user, Account).filter(number=number, kind=AccountKind.PARTNER).first()
    if account is None:
        raise NotFound()
    access.require(user, "view_statements", account)
    return account


def statement_accounts(user) -> QuerySet[Account]:
    """Resellers whose statements ``user`` may read."""
    return (
        access.visible(user, Account, "view_statements").filter(kind=AccountKind.PARTNER).order_by("number")
    )


@dataclass
class StatementLine:
    reseller: Account
    customer: Account
    license: License
    term: str
    quantity: int
    start: date
    stop: date
    days: int
    month_days: int
    unit_price: Decimal
    amount: Decimal
    note: str = ""

    @property
    def last_day(self) -> date:
        return self.stop - timedelta(days=1)


@dataclass
class Statement:
    reseller: Account | None
    month: date
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def month_label(self) -> str:
        return self.month.strftime("%m/%Y")


def _price_table(resellers: Iterable[int]) -> tuple[dict, dict]:
    lists = {(p.product_id, p.term): p.amount for p in Price.objects.all()}
    own = {
        (r.reseller_id, r.product_id, r.term): r.amount
        for r in ResellerPrice.objects.filter(reseller_id__in=list(resellers))
    }
    return lists, own


def _annual_period_starts(sub: Subscription, first: date, after: date) -> list[date]:
    """The days in [first, after) on which a period of ``sub`` begins: its start and its renewal days (the
    anchored arithmetic of ``licenses.periods``, so a month's statement shows a renewal due in it even before
    the renewal job ran; renewal rows count too). No renewal after the end, nor after the current period of a
    subscription that no longer renews."""
    end = _end(sub)
    starts = set(SubscriptionRenewal.objects.filter(subscription=sub).values_list("period_start", flat=True))
    day = sub.started_on
    while day < after:
        if end is not None and day >= end:
            break
        if day > sub.current_period_start and not sub.auto_renew:
            break
        starts.add(day)
        day = add_term(day, sub.term, sub.anchor_day)
    return sorted(d for d in starts if first <= d < after and (end is None or d < end))


def statement(reseller: Account | None, month: date) -> Statement:
    """REP-3 for ``reseller`` (None: every reseller, the vendor's overview) and the month: one line per
    subscription of a reseller-issued licence active in the month. Monthly terms are billed pro rata by day;
    annual terms (direct customers billed annually) appear in the month a period of theirs begins, with the
    annual price. NFR licences are not billed. Quantity multiplies the price (machines)."""
    first, after = month_bounds(month)
    month_days = (after - first).days
    subs = overlapping(
        Subscription.objects.filter(license__kind=Kind.SUBSCRIPTION), first, after
    ).select_related("license", "license__product", "license__holder", "license__issuer")
    if reseller is not None:
        subs = subs.filter(license__issuer=reseller)
    subs = subs.order_by("license__issuer__number", "license__holder__number", "license__key")
    subs = list(subs)
    lists, own = _price_table({s.license.issuer_id for s in subs})
    result = Statement(reseller=reseller, month=first)
    for sub in subs:
        lic = sub.license

        def price(term, lic=lic):
            amount = own.get((lic.issuer_id, lic.product_id, term))
            if amount is None:
                amount = lists.get((lic.product_id, term))
            return amount

        if sub.term == Term.ANNUAL:
            for start in _annual_period_starts(sub, first, after):
                unit = price(Term.ANNUAL)
                note = "" if unit is not None else _("no price")
                unit = unit or Decimal("0.00")
                result.lines.append(
                    StatementLine(
                        lic.issuer,
                        lic.holder,
                        lic,
                        sub.term,
                        lic.quantity,
                        start,
                        start,
                        0,
                        month_days,
                        unit,
                        money(unit * lic.quantity),
                        note or _("annual, billed in the renewal month"),
                    )
                )
            continue
        start, stop, days = days_active(sub, first, after)
        if days <= 0:
            continue
        unit = price(Term.MONTHLY)
        note = "" if unit is not None else _("no price")
        unit = unit or Decimal("0.00")
        amount = money(unit * lic.quantity * Decimal(days) / Decimal(month_days))
        result.lines.append(
            StatementLine(
                lic.issuer,
                lic.holder,
                lic,
                sub.term,
                lic.quantity,
                start,
                stop,
                days,
                month_days,
                unit,
                amount,
                note,
            )
        )
    return result


STATEMENT_HEADER = [
    "Händlernummer",
    "Kundennummer",
    "Kunde",
    "Lizenzschlüssel",
    "Artikelnummer",
    "Produkt",
    "Laufzeit",
    "Arbeitsplätze",
    "Von",
    "Bis",
    "Tage",
    "Tage im Monat",
    "Preis (EUR)",
    "Betrag (EUR)",
    "Hinweis",
]


def statement_rows(stmt: Statement) -> list[list]:
    rows = []
    for line in stmt.lines:
        annual = line.term == Term.ANNUAL
        rows.append(
            [
                line.reseller.number,
                line.customer.number,
                line.customer.name,
                line.license.key,
                line.license.product.article_number,
                line.license.product.name,
                "jährlich" if annual else "monatlich",
                line.quantity,
                line.start.isoformat(),
                "" if annual else line.last_day.isoformat(),
                "" if annual else line.days,
                line.month_days,
                f"{line.unit_price:.2f}",
                f"{line.amount:.2f}",
                line.note,
            ]
        )
    rows.append(["", "", "Summe", "", "", "", "", "", "", "", "", "", "", f"{stmt.total:.2f}", ""])
    return rows


def statement_pdf(stmt: Statement) -> bytes:
    """The statement as a PDF, rendered with WeasyPrint like the offers (tenants.services.offers)."""
    import weasyprint
    from django.conf import settings
    from django.template.loader import render_to_string

    html = render_to_string("reports/statement_pdf.html", {"statement": stmt, "printed_at": timezone.now()})
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


# --- CSV of small tables (statements, deliveries) ----------------------------------------------------------


def csv_bytes(header: list, rows: Iterable[Iterable]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    yield buffer.getvalue().encode()


# --- REP-4 payloads --------------------------------------------------------------------------------------------


def destinations_visible(user) -> QuerySet[Destination]:
    return (
        access.visible(user, Destination).select_related("account").order_by("account__number", "name", "pk")
    )


def destination_accounts(user) -> QuerySet[Account]:
    """Accounts for which ``user`` may set up destinations: partners and the vendor where it is an admin
    (the service checks the new row against the authority; this only fills the form's choices)."""
    return (
        access.visible(user, Account, "change")
        .filter(kind__in=[AccountKind.PARTNER, AccountKind.VENDOR])
        .order_by("number")
    )


def may_use_destinations(user) -> bool:
    """Whether the destinations page has anything for ``user``: destinations it sees, or an account it may add
    one to."""
    return access.can_any(user, Destination) or destination_accounts(user).exists()


def deliveries_visible(user) -> QuerySet[Delivery]:
    return access.visible(user, Delivery).select_related("destination", "destination__account")


def _delivery_scope(delivery: Delivery) -> Account | None:
    account = delivery.destination.account
    return None if account.kind == AccountKind.VENDOR else account


def _new_licenses(delivery: Delivery) -> QuerySet[License]:
    queryset = License.objects.filter(
        issued_at__date__gte=delivery.period_start, issued_at__date__lte=delivery.period_end
    )
    scope = _delivery_scope(delivery)
    if scope is not None:
        queryset = queryset.filter(issuer=scope)
    return queryset


def delivery_table(delivery: Delivery) -> tuple[list[str], list[list]]:
    if delivery.content == Content.LICENSES:
        return license_header(), [list(row) for row in license_rows(_new_licenses(delivery))]
    return STATEMENT_HEADER, statement_rows(statement(_delivery_scope(delivery), delivery.period_start))


def delivery_payload(delivery: Delivery) -> dict:
    base = {
        "delivery": delivery.pk,
        "type": "licenses.daily" if delivery.content == Content.LICENSES else "statement.monthly",
        "account": delivery.destination.account.number,
        "period": {"from": delivery.period_start.isoformat(), "to": delivery.period_end.isoformat()},
    }
    if delivery.content == Content.LICENSES:
        names = [name for name, _label in LICENSE_COLUMNS]
        rows = license_rows(_new_licenses(delivery))
        base["data"] = [dict(zip(names, row, strict=True)) for row in rows]
        return base
    stmt = statement(_delivery_scope(delivery), delivery.period_start)
    base["data"] = [
        {
            "reseller": line.reseller.number,
            "customer": line.customer.number,
            "license": line.license.key,
            "product": line.license.product.article_number,
            "term": line.term,
            "quantity": line.quantity,
            "from": line.start.isoformat(),
            "days": line.days,
            "month_days": line.month_days,
            "unit_price": f"{line.unit_price:.2f}",
            "amount": f"{line.amount:.2f}",
        }
        for line in stmt.lines
    ]
    base["total"] = f"{stmt.total:.2f}"
    return base


def delivery_filename(delivery: Delivery) -> str:
    kind = "lizenzen" if delivery.content == Content.LICENSES else "abrechnung"
    return f"{kind}-{delivery.destination.account.number}-{delivery.period_start.isoformat()}.csv"


def delivery_mail_text(delivery: Delivery) -> tuple[str, str]:
    account = delivery.destination.account
    if delivery.content == Content.LICENSES:
        subject = f"Neue Lizenzen vom {delivery.period_start:%d.%m.%Y} ({account.number})"
        text = f"Guten Tag,\n\nim Anhang finden Sie die am {delivery.period_start:%d.%m.%Y} ausgestellten Lizenzen als CSV-Datei.\n"
    else:
        subject = f"Einzelkostenaufstellung {delivery.period_start:%m/%Y} ({account.number})"
        text = f"Guten Tag,\n\nim Anhang finden Sie die Einzelkostenaufstellung für {delivery.period_start:%m/%Y} als CSV-Datei.\n"
    text += "\nDiese Nachricht wurde automatisch vom Partnerportal versandt.\n"
    return subject, text


# --- REP-2 tables -------------------------------------------------------------------------------------------

CUTOFF_HEADER = [
    "Lizenzschlüssel",
    "Art",
    "Kundennummer",
    "Kunde",
    "Händlernummer",
    "Artikelnummer",
    "Laufzeit",
    "Begonnen",
    "Laufende Periode von",
    "Laufende Periode bis",
    "Verlängert automatisch",
    "Gekündigt",
]
MONTH_HEADER = [
    "Lizenzschlüssel",
    "Art",
    "Kundennummer",
    "Kunde",
    "Händlernummer",
    "Artikelnummer",
    "Laufzeit",
    "Von",
    "Bis",
    "Tage",
    "Tage im Monat",
    "Anteil",
    "Ereignisse",
]


def cutoff_csv_rows(subscriptions: QuerySet[Subscription]) -> Iterator[list]:
    for sub in subscriptions.iterator(chunk_size=1000):
        lic = sub.license
        yield [
            lic.key,
            lic.kind,
            lic.holder.number,
            lic.holder.name,
            lic.issuer.number,
            lic.product.article_number,
            "jährlich" if sub.term == Term.ANNUAL else "monatlich",
            sub.started_on.isoformat(),
            sub.current_period_start.isoformat(),
            (sub.current_period_end - timedelta(days=1)).isoformat(),
            "ja" if sub.auto_renew else "nein",
            "ja" if sub.cancelled_at else "nein",
        ]


def month_csv_rows(rows: list[MonthRow]) -> Iterator[list]:
    for row in rows:
        lic = row.subscription.license
        yield [
            lic.key,
            lic.kind,
            lic.holder.number,
            lic.holder.name,
            lic.issuer.number,
            lic.product.article_number,
            "jährlich" if row.subscription.term == Term.ANNUAL else "monatlich",
            row.start.isoformat(),
            (row.stop - timedelta(days=1)).isoformat(),
            row.days,
            row.month_days,
            f"{row.share:.4f}",
            ", ".join(EVENT_LABELS[e] for e in row.events),
        ]


def previous_month(today: date | None = None) -> date:
    first = (today or timezone.localdate()).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def statement_filename(stmt: Statement, extension: str) -> str:
    who = stmt.reseller.number if stmt.reseller is not None else "alle"
    return f"einzelkostenaufstellung-{who}-{stmt.month:%Y-%m}.{extension}"


def deliveries_of(user, destination: Destination) -> QuerySet[Delivery]:
    return deliveries_visible(user).filter(destination=destination).order_by("-created_at", "-pk")


def attempts_of(delivery: Delivery):
    return delivery.attempt_log.order_by("-number")
