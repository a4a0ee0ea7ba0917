"""Monthly unit PDF reports, scheduled delivery, CSV/XLSX/Parquet exports."""
