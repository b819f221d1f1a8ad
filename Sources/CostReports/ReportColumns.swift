public import CostAudit

// What each report reads of the audit's rows beyond what every report reads (time, dollars, kind, attempt,
// task, model, provider, key and class): the columns to ask ``Auditor/attribute(_:columns:progress:)`` for.
// A column not kept reads as none, so a report given an audit without a column it reads would show `(none)`
// or zero tokens: each report's own function below lists what it reads, beside the report.

extension AuditReportColumns {
    /// Per field of ``ReportDimension/fieldNames``, in its order: the column that keeps it (none for `model`,
    /// `provider`, `api_key_id` and `attribution_class`, which every row keeps).
    private static let ofField: [AuditReportColumns] = [
        .userID, .feature, .team, .project, .taskType, .tool, .promptVersion, .agent, [], [], [], .serviceTier, [],
    ]

    /// The columns that a grouping by `dimensions` reads.
    ///
    /// ```swift
    /// let columns = AuditReportColumns(reading: [.team, .tag("env")])  // [.team, .tags]
    /// ```
    public init(reading dimensions: some Sequence<ReportDimension>) {
        self = []
        for dimension in dimensions {
            switch dimension.storage {
            case .tag: insert(.tags)
            case .field(let index): if index < Self.ofField.count { formUnion(Self.ofField[index]) }
            }
        }
    }
}

extension SpendReport {
    /// The columns ``init(_:by:period:top:)`` reads: the token counts, and the dimensions grouped by.
    public static func auditColumns(by dimensions: [ReportDimension]) -> AuditReportColumns {
        AuditReportColumns(reading: dimensions).union(.tokens)
    }
}

extension ExplainReport {
    /// The columns an explanation of a scope over `dimension` reads: the scope's dimension and the drivers'.
    public static func auditColumns(scope dimension: ReportDimension) -> AuditReportColumns {
        AuditReportColumns(reading: driverDimensions + [dimension])
    }
}

extension MonthForecast {
    /// The columns a forecast by `dimensions` reads: the dimensions alone.
    public static func auditColumns(by dimensions: [ReportDimension]) -> AuditReportColumns {
        AuditReportColumns(reading: dimensions)
    }
}

extension AlertReport {
    /// The columns evaluating `detectors` reads: each detector's (``AlertDetector/auditColumns``) and the
    /// contributors' dimensions (user, feature, model, prompt version).
    public static func auditColumns(detectors: [any AlertDetector]) -> AuditReportColumns {
        AuditReportColumns(reading: ContributorScope.dimensions(without: nil)).union(detectorColumns(detectors))
    }

    /// What `detectors` read to find their alerts, without their contributors.
    static func detectorColumns(_ detectors: [any AlertDetector]) -> AuditReportColumns {
        var columns: AuditReportColumns = []
        for detector in detectors { columns.formUnion(detector.auditColumns) }
        return columns
    }
}

extension Dashboard {
    /// The columns the dashboard with the alerts of `detectors` reads: team, feature, user and tool, and what
    /// the detectors read to find the alerts. The page shows no contributors, so the contributors' dimensions
    /// are not kept for them (a prompt version is read by no chart).
    public static func auditColumns(detectors: [any AlertDetector]) -> AuditReportColumns {
        AuditReportColumns(reading: [ReportDimension.team, .feature, .userID, .tool])
            .union(AlertReport.detectorColumns(detectors))
    }
}

extension AlertDetector {
    /// Every column: a detector that does not say what it reads gets all of them.
    public var auditColumns: AuditReportColumns { .all }
}

extension CostPerActiveUserDetector {
    /// Its subject is every row; it counts active users.
    public var auditColumns: AuditReportColumns { [.userID] }
}

extension FeatureRateDetector {
    public var auditColumns: AuditReportColumns { [.feature] }
}

extension TaskTypeCostDetector {
    public var auditColumns: AuditReportColumns { [.taskType] }
}

extension RetryWasteDetector {
    public var auditColumns: AuditReportColumns { [.feature] }
}

extension ToolShareDetector {
    public var auditColumns: AuditReportColumns { [.tool] }
}

extension BudgetDetector {
    /// Its budgets' dimensions (none without budgets).
    public var auditColumns: AuditReportColumns { AuditReportColumns(reading: budgets?.dimensions ?? []) }
}
