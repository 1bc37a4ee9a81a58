-- Photos may live in an S3-compatible bucket (WANGGE_MEDIA_S3_*): the row
-- keeps the metadata and the object's key (the hex SHA-256 of the original:
-- content-addressed, so a retried or repeated upload writes the same object),
-- and no bytes. Rows with bytes (before the bucket, or without one) are
-- served from here as before.
ALTER TABLE media ADD COLUMN object_key text CHECK (object_key ~ '^[0-9a-f]{64}$'),
    ALTER COLUMN data DROP NOT NULL,
    ALTER COLUMN thumb DROP NOT NULL,
    ADD CONSTRAINT media_bytes_or_object CHECK ((data IS NOT NULL AND thumb IS NOT NULL) OR object_key IS NOT NULL);
