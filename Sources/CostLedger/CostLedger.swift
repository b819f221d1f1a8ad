// Module CostLedger.
