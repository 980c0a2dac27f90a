-- One row per submitted claim whose latest answer from the payer side is a denial (835) or a
-- rejection (277CA, 999), with what is needed to classify it, fix it and check the filing window.
CREATE OR REPLACE TEMP TABLE cf_x12_states AS
WITH remits AS (
  SELECT a.claim_id, a.adjudication_id, a.claim_status_code, a.paid_amount,
         a.payer_claim_control_number, a.corrected_member_id, p.payment_date,
         row_number() OVER (PARTITION BY a.claim_id
                            ORDER BY p.payment_date DESC, a.segment_index DESC) AS rk
  FROM adjudication AS a JOIN payments AS p ON p.payment_id = a.payment_id
  WHERE a.claim_id IS NOT NULL AND a.claim_status_code <> '22'
), denial_adjustments AS (
  SELECT j.adjudication_id, j.adjudication_line_id, j.group_code, j.reason_code, j.amount
  FROM adjustments AS j LEFT JOIN ref_carc_category AS r ON r.carc = j.reason_code
  WHERE NOT (j.group_code = 'PR' AND j.reason_code IN ('1', '2', '3'))
    AND coalesce(r.category, 'other') NOT IN ('contractual', 'patient_responsibility')
), main_adjustment AS (
  SELECT adjudication_id, arg_max(group_code, amount) AS group_code,
         arg_max(reason_code, amount) AS carc, sum(amount) AS denied_amount
  FROM denial_adjustments GROUP BY 1
), denied_lines AS (
  -- a line paid nothing because of a denial adjustment: the claim is (partly) denied
  SELECT l.adjudication_id, count(*) AS lines
  FROM adjudication_line AS l
  WHERE l.line_paid = 0 AND l.adjudication_line_id IN (
    SELECT adjudication_line_id FROM denial_adjustments WHERE adjudication_line_id IS NOT NULL)
  GROUP BY 1
), last_remit AS (
  -- each claim's latest remittance, when it denies the claim or some of its lines
  SELECT r.*, d.group_code, d.carc, d.denied_amount, coalesce(n.lines, 0) AS denied_lines
  FROM remits AS r
  LEFT JOIN main_adjustment AS d ON d.adjudication_id = r.adjudication_id
  LEFT JOIN denied_lines AS n ON n.adjudication_id = r.adjudication_id
  WHERE r.rk = 1
    AND (r.claim_status_code = '4' OR (r.paid_amount = 0 AND d.carc IS NOT NULL)
         OR coalesce(n.lines, 0) > 0)
), rarcs AS (
  -- the remarks of those remittances only (an ordered list per remittance is an aggregate
  -- DuckDB cannot spill: over every remark of a large warehouse it outgrew the memory budget)
  SELECT adjudication_id, list(DISTINCT remark_code ORDER BY remark_code) AS rarcs
  FROM remarks
  WHERE adjudication_id IN (SELECT adjudication_id FROM last_remit)
  GROUP BY 1
), status_277 AS (
  SELECT m.right_id AS claim_id,
         arg_max(s.ack_id, coalesce(s.status_date, s.bht_date)) AS ack_id
  FROM claim_match AS m JOIN ack_277ca AS s ON m.left_kind = '277ca' AND s.ack_id = m.left_id
  GROUP BY 1
), latest_277 AS (
  SELECT t.claim_id, s.ack_id, s.status_category_code, s.status_code, s.entity_code
  FROM status_277 AS t JOIN ack_277ca AS s ON s.ack_id = t.ack_id
), rejected_999 AS (
  SELECT m.right_id AS claim_id, min(a.ack_id) AS ack_id,
         min(e.segment_error_code) AS segment_error_code,
         min(e.element_error_code) AS element_error_code,
         arg_min(e.segment_id, coalesce(e.segment_position, 0)) AS error_segment,
         arg_min(e.loop_id, coalesce(e.segment_position, 0)) AS error_loop,
         arg_min(e.element_position, coalesce(e.segment_position, 0)) AS error_element_position
  FROM claim_match AS m
  JOIN ack_999 AS a ON m.left_kind = '999' AND a.ack_id = m.left_id
  LEFT JOIN ack_999_errors AS e ON e.ack_id = a.ack_id
  WHERE a.transaction_ack_code IN ('R', 'M', 'W', 'X')
  GROUP BY 1
), rejected_277 AS (
  -- a 277CA rejection matters while no 835 has answered the claim
  SELECT t.* FROM latest_277 AS t
  WHERE t.status_category_code IN ('A3', 'A4', 'A6', 'A7', 'A8')
    AND NOT EXISTS (SELECT 1 FROM remits AS r WHERE r.claim_id = t.claim_id)
), rejected_999_only AS (
  -- a 999 rejection matters while neither an 835 nor a 277CA has answered the claim
  SELECT n.* FROM rejected_999 AS n
  WHERE NOT EXISTS (SELECT 1 FROM remits AS r WHERE r.claim_id = n.claim_id)
    AND NOT EXISTS (SELECT 1 FROM latest_277 AS t WHERE t.claim_id = n.claim_id)
), wanted AS (
  SELECT claim_id FROM last_remit
  UNION SELECT claim_id FROM rejected_277
  UNION SELECT claim_id FROM rejected_999_only
), service_dates AS (
  SELECT claim_id, min(service_from) AS first_service FROM claims_line
  WHERE claim_id IN (SELECT claim_id FROM wanted)
  GROUP BY 1
)
-- each join below meets the claims to decide on only (a claim's answers reduced to one row
-- each above): one plan joining every claim with every answer outgrew the 1 GB budget at
-- 2,000,000 claims
SELECT c.claim_id, c.patient_control_number, c.claim_type, c.payer_id, c.member_id,
       c.total_charge, c.submission_date, c.lineage_hash, c.source_system,
       CASE WHEN c.claim_type = 'institutional' THEN coalesce(c.statement_to, c.statement_from)
            ELSE coalesce(sd.first_service, c.statement_from, c.submission_date) END
         AS filing_date_of_service,
       CASE WHEN r.claim_id IS NOT NULL THEN '835'
            WHEN t.claim_id IS NOT NULL THEN '277ca'
            ELSE '999' END AS trigger,
       coalesce(r.adjudication_id, t.ack_id, n.ack_id) AS trigger_id,
       r.group_code, r.carc, coalesce(x.rarcs, []) AS rarcs, r.denied_amount,
       r.payer_claim_control_number, r.corrected_member_id,
       t.status_category_code, t.status_code, t.entity_code,
       n.segment_error_code, n.element_error_code, n.error_segment, n.error_loop,
       n.error_element_position
FROM claims_header AS c
JOIN wanted AS w ON w.claim_id = c.claim_id
LEFT JOIN last_remit AS r ON r.claim_id = c.claim_id
LEFT JOIN rarcs AS x ON x.adjudication_id = r.adjudication_id
LEFT JOIN rejected_277 AS t ON t.claim_id = c.claim_id
LEFT JOIN rejected_999_only AS n ON n.claim_id = c.claim_id
LEFT JOIN service_dates AS sd ON sd.claim_id = c.claim_id
