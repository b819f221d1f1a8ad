// Module CostAudit.
