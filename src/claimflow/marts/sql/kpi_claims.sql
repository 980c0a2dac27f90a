-- The claim cohort of a KPI report: one row per claim submitted in [$from, $to] (optionally one
-- payer, source, billing provider), with everything the KPIs need. Every KPI is one aggregate over
-- this table, defined in kpis.py and documented in docs/kpis.md. The table is called kpi_claims
-- (kpis.py may build it under another name, for a second cohort, by renaming it in this text).
CREATE OR REPLACE TEMP TABLE kpi_claims AS
WITH cohort AS (
  SELECT c.claim_id, c.payer_id, c.source_system, c.billing_npi, c.total_charge,
         c.submission_date, c.group_control_number, c.st_control_number,
         coalesce(c.claim_frequency_code, '1') AS frequency
  FROM claims_header AS c
  WHERE c.submission_date BETWEEN $from AND $to
    AND ($payer IS NULL OR c.payer_id = $payer)
    AND ($source IS NULL OR c.source_system = $source)
    AND ($provider IS NULL OR c.billing_npi = $provider)
    -- one claim once: an EMR row whose claim also went out as an 837 is represented by the 837
    AND (c.segment_index IS NOT NULL OR c.patient_control_number NOT IN (
      SELECT patient_control_number FROM claims_header WHERE segment_index IS NOT NULL))
), ack999 AS (
  SELECT m.right_id AS claim_id, min(a.transaction_ack_code) AS ik501
  FROM claim_match AS m JOIN ack_999 AS a ON m.left_kind = '999' AND a.ack_id = m.left_id
  GROUP BY 1
), ack277 AS (
  SELECT m.right_id AS claim_id,
         arg_min(s.status_category_code, coalesce(s.status_date, s.bht_date)) AS first_status,
         -- the latest 277CA's STC01 as a whole (category, status code, entity) from one 277CA
         arg_max({'category': s.status_category_code, 'code': s.status_code,
                  'entity': s.entity_code}, coalesce(s.status_date, s.bht_date)) AS latest
  FROM claim_match AS m JOIN ack_277ca AS s ON m.left_kind = '277ca' AND s.ack_id = m.left_id
  GROUP BY 1
), remits AS (
  SELECT a.claim_id, a.adjudication_id, a.claim_status_code, a.paid_amount, p.payment_date,
         row_number() OVER (PARTITION BY a.claim_id ORDER BY p.payment_date, a.segment_index) AS nth
  FROM adjudication AS a JOIN payments AS p ON p.payment_id = a.payment_id
  WHERE a.claim_id IS NOT NULL
), denial_adjustments AS (
  -- adjustments that make a remittance a denial: not PR cost share, not CO-45-style contractual
  SELECT j.adjudication_id, j.adjudication_line_id, j.amount
  FROM adjustments AS j
  LEFT JOIN ref_carc_category AS r ON r.carc = j.reason_code
  WHERE NOT (j.group_code = 'PR' AND j.reason_code IN ('1', '2', '3'))
    AND coalesce(r.category, 'other') NOT IN ('contractual', 'patient_responsibility')
), denied AS (
  SELECT adjudication_id, sum(amount) AS denied_amount FROM denial_adjustments GROUP BY 1
), contractual AS (
  SELECT a.claim_id, sum(j.amount) AS contractual_amount
  FROM adjustments AS j
  JOIN adjudication AS a ON a.adjudication_id = j.adjudication_id
  LEFT JOIN ref_carc_category AS r ON r.carc = j.reason_code
  WHERE j.group_code IN ('CO', 'PI') AND r.category = 'contractual' AND a.claim_id IS NOT NULL
  GROUP BY 1
), first_remit AS (
  SELECT r.claim_id, r.payment_date, r.claim_status_code, r.paid_amount,
         (r.claim_status_code = '4'
          OR (r.paid_amount = 0 AND d.denied_amount IS NOT NULL)) AS is_denial
  FROM remits AS r LEFT JOIN denied AS d ON d.adjudication_id = r.adjudication_id
  WHERE r.nth = 1
), last_remit AS (
  -- the payer's latest answer (a reversal is not an answer: what it reverses is followed by one)
  SELECT claim_id, adjudication_id, claim_status_code, paid_amount FROM (
    SELECT a.claim_id, a.adjudication_id, a.claim_status_code, a.paid_amount,
           row_number() OVER (PARTITION BY a.claim_id
                              ORDER BY p.payment_date DESC, a.segment_index DESC) AS rk
    FROM adjudication AS a JOIN payments AS p ON p.payment_id = a.payment_id
    WHERE a.claim_id IS NOT NULL AND a.claim_status_code <> '22'
  ) WHERE rk = 1
), written_off AS (
  -- final denial write-off: the latest 835 still denies (CLP02 = 4, pays 0, or has a zero-paid
  -- line with a denial adjustment), the rejection log says no one will recover it (disposition
  -- write_off, or the filing window closed), and that denial was not answered by a resubmission
  SELECT l.claim_id, d.denied_amount AS written_off_amount
  FROM last_remit AS l
  JOIN denied AS d ON d.adjudication_id = l.adjudication_id
  WHERE (l.claim_status_code = '4' OR l.paid_amount = 0 OR EXISTS (
          SELECT 1 FROM adjudication_line AS x JOIN denial_adjustments AS y
            ON y.adjudication_line_id = x.adjudication_line_id
          WHERE x.adjudication_id = l.adjudication_id AND x.line_paid = 0))
    AND l.claim_id IN (
      SELECT claim_id FROM rejection_log
      WHERE disposition = 'write_off' OR reason = 'timely_filing_window_closed')
    AND NOT EXISTS (
      SELECT 1 FROM resubmissions AS s
      WHERE s.claim_id = l.claim_id AND s.trigger_id = l.adjudication_id)
), paid AS (
  SELECT claim_id, sum(paid_amount) AS paid_amount FROM remits GROUP BY 1
), allowed AS (
  -- AMT*B6 of every remitted line (a line without it: its paid amount), net of reversals
  SELECT r.claim_id, sum(coalesce(l.allowed_amount, l.line_paid)) AS allowed_amount
  FROM remits AS r JOIN adjudication_line AS l ON l.adjudication_id = r.adjudication_id
  GROUP BY 1
)
SELECT k.*,
       a9.ik501, a2.first_status, a2.latest.category AS latest_status,
       a2.latest.code AS latest_status_code, a2.latest.entity AS latest_entity_code,
       f.payment_date AS first_payment_date, f.is_denial AS initially_denied,
       coalesce(pd.paid_amount, 0) AS paid_amount,
       coalesce(al.allowed_amount, 0) AS allowed_amount,
       coalesce(ct.contractual_amount, 0) AS contractual_amount,
       coalesce(w.written_off_amount, 0) AS written_off_amount
FROM cohort AS k
LEFT JOIN ack999 AS a9 USING (claim_id)
LEFT JOIN ack277 AS a2 USING (claim_id)
LEFT JOIN first_remit AS f USING (claim_id)
LEFT JOIN paid AS pd USING (claim_id)
LEFT JOIN allowed AS al USING (claim_id)
LEFT JOIN contractual AS ct USING (claim_id)
LEFT JOIN written_off AS w USING (claim_id)
