"""Files: immutable, content-hashed blobs in storage (``file``), the storage roots they
live in (``storage``), bulk ingest (``ingest``), features of tables and AnnData
(``features``), clean-up (``maintenance``) and transfer progress (``progress``)."""
