from kernel.errors import DomainError, ErrorCode


class TenantsErrorCode(ErrorCode):
    SLUG_INVALID = ("slug_invalid", 400, "Use 3-40 lowercase letters, digits or hyphens; start with a letter.")
    SLUG_RESERVED = ("slug_reserved", 400, "This address is reserved. Choose another slug.")
    SLUG_TAKEN = ("slug_taken", 409, "A merchant with this slug already exists.")
    NAME_INVALID = ("name_invalid", 400, "Give the merchant a name of 2-120 characters.")
    PHONE_INVALID = ("phone_invalid", 400, "Enter a valid phone number in international format, e.g. +923001234567.")
    MERCHANT_NOT_FOUND = ("merchant_not_found", 404, "No such merchant.")
    STATE_INVALID = ("merchant_state_invalid", 409, "The merchant is not in a state that allows this.")
    REASON_INVALID = ("reason_invalid", 400, "Write the reason the merchant will read (3-500 characters).")
    TEMPLATE_STALE = ("tenant_template_stale", 409, "Tenant migrations changed; run migrate_tenants first.")


class TenantsError(DomainError):
    pass
