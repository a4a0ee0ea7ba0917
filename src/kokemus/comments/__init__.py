"""Comment analytics inside the product: redaction at ingestion, staff mentions,
background theme/sentiment analysis, and each organisation's own theme taxonomy.
The language work itself is the pure package ``kokemus.text``."""
