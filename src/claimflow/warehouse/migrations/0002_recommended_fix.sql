-- Every rejection-log row carries the fix a biller should make, in words
-- ("Add modifier 25 to line 1 (99214)", "Appeal with medical records: medical necessity (CARC 50)").
ALTER TABLE rejection_log ADD COLUMN recommended_fix VARCHAR;
