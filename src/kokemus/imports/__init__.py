"""Import of historical responses from CSV/XLSX: mapping, preview, dry run, streaming import."""
