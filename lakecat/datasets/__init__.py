"""Datasets: versioned Delta or Parquet tables queried in place (``dataset`` for the
registry's behaviour, ``tables`` for reading and writing the tables themselves)."""
