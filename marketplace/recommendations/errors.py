from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError, ErrorCode


class RecommendationErrorCode(ErrorCode):
    PRODUCT_NEEDED = (
        "recommendation_product_needed",
        400,
        _("surface=product needs product=<merchant_id>:<product_id>."),
    )
    PRODUCT_INVALID = ("recommendation_product_invalid", 400, _("product is <merchant_id>:<product_id>, two ids."))
    ORDER_NEEDED = ("recommendation_order_needed", 400, _("surface=order needs order=<your order's id>."))
    ORDER_NOT_FOUND = ("recommendation_order_not_found", 404, _("You have no order with this id."))


class RecommendationError(DomainError):
    pass
