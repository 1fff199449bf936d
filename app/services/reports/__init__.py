"""Usage reports: aggregation in SQL, period splitting in the facility's time zone, CSV."""
