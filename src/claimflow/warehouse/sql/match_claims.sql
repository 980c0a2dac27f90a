-- Matching rules of the data model, in order; the first unambiguous match wins.
-- Each step starts with a line that begins with the step marker; statements end with ";" at the
-- end of a line (so no ";" inside a literal). Parameters: $run_id, $matched_at.

-- step: reset
DELETE FROM claim_match;
DELETE FROM claim_line_match;
DELETE FROM unmatched;

-- step: 999 to the claims of the acknowledged transaction set (AK102 = GS06, AK202 = ST02)
INSERT INTO claim_match
SELECT '999', a.ack_id, c.claim_id, 'transaction_set', 1.0, false, $matched_at, $run_id
FROM ack_999 AS a
JOIN claims_header AS c
  ON c.group_control_number = a.ack_group_control_number
 AND c.st_control_number = a.ack_st_control_number
 AND c.segment_index IS NOT NULL;

-- step: 277CA claim-level status to its claim (TRN02 = CLM01, same billing NPI and payer)
INSERT INTO claim_match
SELECT '277ca', ack_id, claim_id, 'trn02', 1.0, false, $matched_at, $run_id
FROM (
  SELECT s.ack_id, c.claim_id,
         row_number() OVER (
           PARTITION BY s.ack_id
           ORDER BY (c.total_charge = s.total_charge) DESC NULLS LAST,
                    c.submission_date DESC NULLS LAST, c.claim_id) AS rk
  FROM ack_277ca AS s
  JOIN claims_header AS c
    ON c.patient_control_number = s.patient_control_number
   AND c.segment_index IS NOT NULL  -- a 277CA acknowledges an 837, not an EMR export row
   AND (s.billing_npi IS NULL OR c.billing_npi IS NULL OR s.billing_npi = c.billing_npi)
   AND (s.payer_id IS NULL OR c.payer_id IS NULL OR s.payer_id = c.payer_id)
  WHERE s.level = 'claim'
) WHERE rk = 1;

-- step: 835 exact_pcn (CLP01 = CLM01, same payer and payee; latest submission before payment)
INSERT INTO claim_match
SELECT '835', adjudication_id, claim_id, 'exact_pcn', CASE WHEN n = 1 THEN 1.0 ELSE 0.99 END,
       false, $matched_at, $run_id
FROM (
  SELECT a.adjudication_id, c.claim_id,
         count(*) FILTER (WHERE c.segment_index IS NOT NULL) OVER (PARTITION BY a.adjudication_id) AS n,
         row_number() OVER (
           PARTITION BY a.adjudication_id
           ORDER BY (c.segment_index IS NOT NULL) DESC,  -- the 837 over the EMR row
                    (c.total_charge = abs(a.total_charge)) DESC NULLS LAST,
                    c.submission_date DESC NULLS LAST, c.claim_id) AS rk
  FROM adjudication AS a
  JOIN payments AS p ON p.payment_id = a.payment_id
  JOIN claims_header AS c
    ON c.patient_control_number = a.patient_control_number
   AND (p.payer_id IS NULL OR c.payer_id IS NULL OR p.payer_id = c.payer_id)
   AND (p.payee_id IS NULL OR c.billing_npi IS NULL OR p.payee_id = c.billing_npi)
   AND (p.payment_date IS NULL OR c.submission_date IS NULL OR c.submission_date <= p.payment_date)
) WHERE rk = 1;

-- step: 835 pcn_prefix20 (receivers may keep only the first 20 characters of CLM01)
INSERT INTO claim_match
SELECT '835', adjudication_id, claim_id, 'pcn_prefix20', 1.0, false, $matched_at, $run_id
FROM (
  SELECT a.adjudication_id, c.claim_id,
         row_number() OVER (PARTITION BY a.adjudication_id
                            ORDER BY c.submission_date DESC NULLS LAST, c.claim_id) AS rk
  FROM adjudication AS a
  JOIN claims_header AS c
    ON length(a.patient_control_number) = 20 AND length(c.patient_control_number) > 20
   AND left(c.patient_control_number, 20) = a.patient_control_number
  WHERE a.adjudication_id NOT IN (SELECT left_id FROM claim_match WHERE left_kind = '835')
) WHERE rk = 1;

-- step: 835 payer_icn (CLP07 = a payer claim control number already tied to a claim)
INSERT INTO claim_match
SELECT '835', adjudication_id, claim_id, 'payer_icn', 1.0, false, $matched_at, $run_id
FROM (
  SELECT a.adjudication_id, k.claim_id,
         row_number() OVER (PARTITION BY a.adjudication_id ORDER BY k.claim_id) AS rk
  FROM adjudication AS a
  JOIN (
    SELECT s.payer_claim_control_number AS icn, m.right_id AS claim_id
    FROM ack_277ca AS s JOIN claim_match AS m ON m.left_kind = '277ca' AND m.left_id = s.ack_id
    WHERE s.payer_claim_control_number IS NOT NULL
    UNION
    SELECT x.payer_claim_control_number, m.right_id
    FROM adjudication AS x JOIN claim_match AS m ON m.left_kind = '835' AND m.left_id = x.adjudication_id
    WHERE x.payer_claim_control_number IS NOT NULL
    UNION
    SELECT original_payer_claim_control_number, claim_id FROM claims_header
    WHERE original_payer_claim_control_number IS NOT NULL
  ) AS k ON k.icn = a.payer_claim_control_number
  WHERE a.adjudication_id NOT IN (SELECT left_id FROM claim_match WHERE left_kind = '835')
) WHERE rk = 1;

-- step: 835 fuzzy (member id + service dates + charge; always sent to review)
INSERT INTO claim_match
SELECT '835', adjudication_id, claim_id, 'fuzzy', score, true, $matched_at, $run_id
FROM (
  SELECT a.adjudication_id, c.claim_id,
         round(0.5 + 0.2 * (abs(a.total_charge) = c.total_charge)::INT
                   + 0.2 * (a.statement_from = c.statement_from)::INT, 2) AS score,
         row_number() OVER (
           PARTITION BY a.adjudication_id
           ORDER BY (abs(a.total_charge) = c.total_charge) DESC,
                    (a.statement_from = c.statement_from) DESC NULLS LAST, c.claim_id) AS rk
  FROM (
    SELECT DISTINCT x.*, unnest([x.patient_member_id, x.insured_member_id, x.corrected_member_id])
           AS member
    FROM adjudication AS x
    WHERE x.adjudication_id NOT IN (SELECT left_id FROM claim_match WHERE left_kind = '835')
  ) AS a
  JOIN claims_header AS c
    ON c.member_id = a.member
   AND abs(abs(a.total_charge) - c.total_charge) <= greatest(1.00, 0.01 * c.total_charge)
   AND (a.statement_from IS NULL OR c.statement_from IS NULL
        OR a.statement_from BETWEEN c.statement_from - INTERVAL 3 DAY
                                AND coalesce(c.statement_to, c.statement_from) + INTERVAL 3 DAY)
  WHERE a.adjudication_id NOT IN (SELECT left_id FROM claim_match WHERE left_kind = '835')
) WHERE rk = 1;

-- step: 835 claims that matched nothing
INSERT INTO unmatched
SELECT '835', a.adjudication_id,
       'no claim with this patient control number (or its 20-character prefix), payer claim '
       || 'control number, or member, dates and charge', $run_id
FROM adjudication AS a
WHERE a.adjudication_id NOT IN (SELECT left_id FROM claim_match WHERE left_kind = '835');

-- step: 277CA claim statuses that matched nothing
INSERT INTO unmatched
SELECT '277ca', s.ack_id, 'no claim with this TRN02 patient control number, billing NPI and payer',
       $run_id
FROM ack_277ca AS s
WHERE s.level = 'claim'
  AND s.ack_id NOT IN (SELECT left_id FROM claim_match WHERE left_kind = '277ca');

-- step: 999 acknowledgments that matched nothing
INSERT INTO unmatched
SELECT '999', a.ack_id, 'no 837 transaction set with this AK102 group and AK202 control number',
       $run_id
FROM ack_999 AS a
WHERE a.ack_id NOT IN (SELECT left_id FROM claim_match WHERE left_kind = '999');

-- step: 835 lines, line_control (2110 REF*6R = 2400 REF*6R)
INSERT INTO claim_line_match
SELECT l.adjudication_line_id, min(cl.claim_line_id), 'line_control', 1.0, false, $matched_at, $run_id
FROM adjudication_line AS l
JOIN claim_match AS m ON m.left_kind = '835' AND m.left_id = l.adjudication_id
JOIN claims_line AS cl ON cl.claim_id = m.right_id
 AND cl.line_item_control_number = l.line_item_control_number
GROUP BY l.adjudication_line_id;

-- step: 835 lines, code_date_charge (original code if the payer changed it)
INSERT INTO claim_line_match
SELECT adjudication_line_id, claim_line_id, 'code_date_charge', 1.0, false, $matched_at, $run_id
FROM (
  SELECT l.adjudication_line_id, cl.claim_line_id,
         row_number() OVER (PARTITION BY l.adjudication_line_id
                            ORDER BY (cl.units = coalesce(l.original_units, l.units_paid)) DESC NULLS LAST,
                                     cl.line_number) AS rk
  FROM adjudication_line AS l
  JOIN claim_match AS m ON m.left_kind = '835' AND m.left_id = l.adjudication_id
  JOIN claims_line AS cl ON cl.claim_id = m.right_id
   AND cl.procedure_code = coalesce(l.original_procedure_code, l.procedure_code)
   AND abs(l.line_charge) = cl.line_charge
   AND (l.service_from IS NULL OR cl.service_from IS NULL OR l.service_from = cl.service_from)
   AND (l.revenue_code IS NULL OR cl.revenue_code IS NULL OR l.revenue_code = cl.revenue_code)
  WHERE l.adjudication_line_id NOT IN (SELECT left_id FROM claim_line_match)
    AND cl.claim_line_id NOT IN (SELECT right_id FROM claim_line_match)
) WHERE rk = 1;

-- step: 835 lines, ordinal (n-th SVC to n-th LX, only when the counts agree; flagged)
INSERT INTO claim_line_match
SELECT l.adjudication_line_id, cl.claim_line_id, 'ordinal', 0.8, true, $matched_at, $run_id
FROM (
  SELECT l.*, m.right_id AS claim_id,
         row_number() OVER (PARTITION BY l.adjudication_id ORDER BY l.segment_index) AS n,
         count(*) OVER (PARTITION BY l.adjudication_id) AS lines
  FROM adjudication_line AS l
  JOIN claim_match AS m ON m.left_kind = '835' AND m.left_id = l.adjudication_id
) AS l
JOIN (
  -- numbered within each claim an 835 matched (whole claims: the numbers are the same; a
  -- claim no 835 answers is not numbered at all)
  SELECT claim_line_id, claim_id,
         row_number() OVER (PARTITION BY claim_id ORDER BY line_number) AS n,
         count(*) OVER (PARTITION BY claim_id) AS lines
  FROM claims_line
  WHERE claim_id IN (SELECT right_id FROM claim_match WHERE left_kind = '835')
) AS cl ON cl.claim_id = l.claim_id AND cl.n = l.n AND cl.lines = l.lines
WHERE l.adjudication_line_id NOT IN (SELECT left_id FROM claim_line_match);

-- step: 835 lines that matched nothing
INSERT INTO unmatched
SELECT '835_line', l.adjudication_line_id,
       CASE WHEN m.left_id IS NULL THEN 'its claim matched no submitted claim'
            ELSE 'no line with this REF*6R, or code, date and charge, and the line counts differ' END,
       $run_id
FROM adjudication_line AS l
LEFT JOIN claim_match AS m ON m.left_kind = '835' AND m.left_id = l.adjudication_id
WHERE l.adjudication_line_id NOT IN (SELECT left_id FROM claim_line_match);

-- step: write the matches back onto the remittance rows whose match changed (mostly the rows
-- loaded since the last run), so that the write-back's cost and memory follow what a run loaded.
-- The changed rows are collected first: an UPDATE whose FROM reads the table it updates is two
-- orders of magnitude slower in DuckDB 2.0 (22.8 s against 0.25 s for 194,000 rows), and an
-- UPDATE holds far less than rewriting the rows (140 MB against 570 MB at 200,000 claims)
CREATE OR REPLACE TEMP TABLE cf_changed AS
SELECT a.adjudication_id, m.right_id, m.match_method, m.match_score
FROM adjudication AS a
LEFT JOIN claim_match AS m ON m.left_kind = '835' AND m.left_id = a.adjudication_id
WHERE a.claim_id IS DISTINCT FROM m.right_id
   OR a.match_method IS DISTINCT FROM m.match_method
   OR a.match_score IS DISTINCT FROM m.match_score;
UPDATE adjudication AS a
SET claim_id = c.right_id, match_method = c.match_method, match_score = c.match_score
FROM cf_changed AS c
WHERE a.adjudication_id = c.adjudication_id;
DROP TABLE cf_changed;

-- step: write the line matches back (the same way: only the lines whose match changed)
CREATE OR REPLACE TEMP TABLE cf_changed AS
SELECT l.adjudication_line_id, m.right_id, m.match_method
FROM adjudication_line AS l
LEFT JOIN claim_line_match AS m ON m.left_id = l.adjudication_line_id
WHERE l.claim_line_id IS DISTINCT FROM m.right_id
   OR l.match_method IS DISTINCT FROM m.match_method;
UPDATE adjudication_line AS l
SET claim_line_id = c.right_id, match_method = c.match_method
FROM cf_changed AS c
WHERE l.adjudication_line_id = c.adjudication_line_id;
DROP TABLE cf_changed;
