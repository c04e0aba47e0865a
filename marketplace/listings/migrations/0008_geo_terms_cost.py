"""listings_geo_terms is dear per row (an array of the listing's lexemes, each prefixed, made into a tsvector):
declared at the default cost of a SQL function, the planner would evaluate it on every row of a few branches
rather than probe its index, whose prefix queries never compute it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("listings", "0007_search_geo_expression")]

    operations = [
        migrations.RunSQL(
            "ALTER FUNCTION listings_geo_terms(tsvector, bigint) COST 1000",
            reverse_sql="ALTER FUNCTION listings_geo_terms(tsvector, bigint) COST 100",
        ),
    ]
