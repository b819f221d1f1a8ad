// Module CostAuditCLI.
