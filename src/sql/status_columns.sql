-- 1.3 adds the columns signed and key_id to status(), which CREATE OR
-- REPLACE cannot do: the update drops it first (status.sql follows).
DROP FUNCTION @extschema@.status();
