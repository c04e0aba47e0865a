"""Platform operations on merchants, for platform Admins: the admin panel's merchant pages and
/api/v1/platform/merchants. It sits above `tenants` so that it may ask `accounts` who is an Admin."""
