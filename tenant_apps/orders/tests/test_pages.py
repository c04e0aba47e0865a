"""Console pages for orders: the queue (grouped, polled, a fixed number of queries), one order with its buttons, the
moves through forms, and the dashboards' real figures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.orders.selectors import order_figures
from tenant_apps.orders.tests.conftest import BUTTER, RICE
from tenant_apps.staff.models import Membership

S = OrderStatus


def _section(html: str, key: str) -> str:
    """The part of the queue page between one group's heading and the next group's."""
    start = html.index(f'id="q-{key}"')
    following = [html.find(f'id="q-{k}"', start + 1) for k in ("new", "in_progress", "ready")]
    ends = [i for i in following if i > start]
    return html[start : min(ends) if ends else len(html)]


def _api(grocer, order, *actions: str) -> None:
    for action in actions:
        assert grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/{action}").status_code == 200


def _page_queries(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    sql = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]
    return len(sql), response.content.decode()


def test_the_queue_groups_open_orders_and_polls(grocer, place, host_cache_held):
    new, cooking, ready, done = place(), place(), place(fulfilment="delivery"), place()
    _api(grocer, cooking, "accept", "prepare")
    _api(grocer, ready, "accept", "prepare", "ready")
    _api(grocer, done, "accept", "prepare", "ready")
    assert grocer.hand_over(done.pk).status_code == 200
    client = grocer.page_client("manager")
    _page_queries(client, "/orders/")  # warm the tenant-domain cache
    queries, html = _page_queries(client, "/orders/")
    assert new.number in _section(html, "new") and cooking.number in _section(html, "in_progress")
    assert ready.number in _section(html, "ready") and "Out for delivery" in _section(html, "ready")
    assert done.number not in html  # handed over: no longer in the queue
    assert 'hx-get="/orders/queue/?branch=' in html and 'hx-trigger="live"' in html  # re-fetched on each event
    assert 'data-live-src="/api/v1/console/branches/' in html and "live/live.js" in html
    assert 'href="/orders/"' in html and ">Orders</a>" in html  # the console's nav link
    for _ in range(3):
        place(items=[(BUTTER, 1)])
    more_queries, html = _page_queries(client, "/orders/")
    assert html.count("order-card ") == 6
    # with the live stream's last event id (one index probe)
    assert more_queries == queries <= 7, f"{queries} queries with 3 open orders, {more_queries} with 6"

    fragment = client.get("/orders/queue/").content.decode()
    assert fragment.startswith('<div id="order-queue"') and new.number in fragment and "<html" not in fragment


def test_merchant_chooses_a_branch(grocer, place):
    order = place()
    client = grocer.page_client("merchant")
    everything = client.get("/orders/").content.decode()
    assert "All branches" in everything and order.number in everything and "DHA Y Block" in everything
    dha = client.get(f"/orders/?branch={grocer.dha.pk}").content.decode()
    assert order.number not in dha and f"/orders/queue/?branch={grocer.dha.pk}" in dha
    assert client.get("/orders/?branch=999999").status_code == 404
    assert grocer.page_client("manager").get(f"/orders/?branch={grocer.dha.pk}").status_code == 200  # own branch


def test_order_page_shows_the_order_and_the_next_moves(grocer, place):
    order = place(items=[(RICE, 2), (BUTTER, 1)], fulfilment="delivery")
    client = grocer.page_client("employee")
    html = client.get(f"/orders/{order.pk}/").content.decode()
    for text in (
        "Guard Basmati Rice",
        "Nurpur Butter",
        "Ayesha Khan",
        "+923001234567",
        "House 12, Street 4",
        "Delivery by the store",
        "Rs 1,820",
        "Rs 100",
        "Rs 1,920",
        ">Accept</button>",
        ">Reject</button>",
        'name="reason"',
        "csrfmiddlewaretoken",
    ):
        assert text in html, text
    assert "Start preparing" not in html and "Handed over" not in html

    steps = [
        ("accept", "Start preparing"),
        ("prepare", "Out for delivery"),
        ("ready", "Handed over · cash Rs 1,920 received"),
    ]
    for action, next_button in steps:
        response = client.post(f"/orders/{order.pk}/", {"action": action})
        assert (response.status_code, response["Location"]) == (302, f"/orders/{order.pk}/")
        assert f">{next_button}</button>" in client.get(f"/orders/{order.pk}/").content.decode()
    client.post(f"/orders/{order.pk}/", {"action": "handover"})
    html = client.get(f"/orders/{order.pk}/").content.decode()
    assert grocer.order(order.pk).status == S.DELIVERED and "order-actions" not in html
    history = html.split('id="history-h"')[1]
    assert history.count("<li") == 5 and "Employee" in history and "Out for delivery → Delivered" in history


def test_reject_from_the_page(grocer, place):
    order = place()
    client = grocer.page_client("manager")
    html = client.get(f"/orders/{order.pk}/").content.decode()
    assert ">Ready for pickup</button>" not in html  # only after preparing
    missing = client.post(f"/orders/{order.pk}/", {"action": "reject", "reason": ""})
    assert missing.status_code == 400 and "Say why the order is rejected" in missing.content.decode()
    wrong = client.post(f"/orders/{order.pk}/", {"action": "handover"})
    assert wrong.status_code == 409 and "only with the customer&#x27;s pickup code" in wrong.content.decode()
    done = client.post(f"/orders/{order.pk}/", {"action": "reject", "reason": "Out of basmati"})
    assert done.status_code == 302
    html = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Out of basmati" in html and "New → Rejected" in html and "order-actions" not in html
    assert grocer.order(order.pk).stock_state == "released"


def test_pages_follow_the_roles(grocer, place):
    order = place()
    plain = grocer.page_client("employee_plain")
    assert plain.get("/orders/").status_code == 403
    assert plain.get(f"/orders/{order.pk}/").status_code == 403
    assert plain.post(f"/orders/{order.pk}/", {"action": "accept"}).status_code == 403
    assert ">Orders</a>" not in plain.get("/").content.decode()
    other = grocer.page_client("manager_dha")
    assert other.get(f"/orders/{order.pk}/").status_code == 404
    assert other.post(f"/orders/{order.pk}/", {"action": "accept"}).status_code == 404
    assert order.number not in other.get("/orders/").content.decode()
    assert grocer.order(order.pk).status == S.PLACED
    anonymous = grocer.page_client("manager")
    anonymous.logout()
    assert anonymous.get("/orders/")["Location"].startswith("/signin/")


def _backdate(grocer, order: MerchantOrder, days: int) -> None:
    with schema_context(grocer.merchant.schema_name):
        MerchantOrder.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_dashboards_show_real_figures(grocer, place, host_cache_held):
    today = [place(), place(items=[(BUTTER, 1)], fulfilment="delivery")]  # Rs 1,180 and Rs 640 + Rs 100 fee
    rejected = place()
    _api(grocer, rejected, "accept")
    grocer.api("manager", "post", f"/api/v1/console/orders/{rejected.pk}/reject", {"reason": "Closed"})
    three_days_ago, too_old = place(items=[(RICE, 1)]), place(items=[(RICE, 1)])
    _backdate(grocer, three_days_ago, 3)
    _backdate(grocer, too_old, 8)

    with schema_context(grocer.merchant.schema_name):
        owner = Membership.objects.get(user=grocer.users["merchant"])
        figures = order_figures(actor=owner)
        dha_manager = Membership.objects.get(user=grocer.users["manager_dha"])
        assert order_figures(actor=dha_manager).week_orders == 0  # its branch had none
    assert (figures.today_orders, figures.today_revenue) == (2, Decimal("1920.00"))
    assert (figures.week_orders, figures.week_revenue) == (3, Decimal("2510.00"))
    assert [d.orders for d in figures.days] == [0, 0, 0, 1, 0, 0, 2] and figures.days[-1].height == 100
    assert figures.open_orders == 4  # the two of today, and the two back-dated ones (still new)

    client = grocer.page_client("merchant")
    client.get("/")
    queries, html = _page_queries(client, "/")
    for text in ("Orders today", "Rs 1,920", "Rs 2,510", "Revenue, last 7 days", 'class="bars"', "4 open orders"):
        assert text in html, text
    assert queries <= 17, queries  # the board over the chosen period adds three aggregates (orders.selectors)
    shop_owner = grocer.page_client("shop_owner").get("/").content.decode()
    manager = grocer.page_client("manager").get("/").content.decode()
    assert "Rs 1,920" in shop_owner and "Rs 1,920" in manager
    assert "Rs 1,920" not in grocer.page_client("manager_dha").get("/").content.decode()

    employee = grocer.page_client("employee").get("/").content.decode()
    assert today[0].number in employee and 'id="order-queue"' in employee
    plain = grocer.page_client("employee_plain").get("/").content.decode()
    assert "not one of your duties" in plain and today[0].number not in plain


def test_a_board_card_takes_the_next_step_in_one_tap(grocer, place):
    order = place()
    client = grocer.page_client("manager")
    html = client.get("/orders/queue/").content.decode()
    assert f'hx-post="/orders/{order.pk}/"' in html and 'name="action" value="accept"' in html
    answer = client.post(f"/orders/{order.pk}/", {"action": "accept"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 204 and answer["HX-Trigger"] == "live"  # the board re-fetches itself
    with schema_context(grocer.merchant.schema_name):
        assert MerchantOrder.objects.get(pk=order.pk).status == OrderStatus.ACCEPTED
