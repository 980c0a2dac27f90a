"""Gold marts: KPIs, acknowledgment SLAs, reconciliation (SQL over silver)."""
