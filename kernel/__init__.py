"""The ground floor: what every app shares and that knows no app — the error envelope, the provider HTTP client,
database helpers, the cache client, money formatting. It imports Django and libraries, never a project package."""
