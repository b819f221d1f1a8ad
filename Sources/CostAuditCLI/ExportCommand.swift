import Attribution
import CostAudit
import CostLedger
import CostReports
import Foundation

/// `cost-audit export --focus`: the audit's reconciled dollars as FinOps FOCUS 1.2 rows (docs/reports.md).
enum ExportCommand {
    static let focus = OptionSpec(
        name: "focus",
        valueName: nil,
        help: "Write FOCUS 1.2 cost and usage rows (CSV): the only export format, and required."
    )
    static let billingAccount = OptionSpec(
        name: "billing-account",
        valueName: "id",
        help: "The BillingAccountId and BillingAccountName of every row (default: each row's provider)."
    )
    static let output = OptionSpec(
        name: "output",
        valueName: "file",
        help: "Write the CSV to this file instead of standard output.",
        shortName: "o"
    )

    static let spec = CommandSpec(
        name: "export",
        abstract: "The reconciled spend as FinOps FOCUS 1.2 rows (CSV), for the FinOps tools that read them.",
        discussion: """
            Writes one row per UTC day, provider, model, service tier, token class (input, cached input, \
            5-minute and 1-hour cache writes, output), team and project, and attribution class, each with one \
            unit price per 1,000,000 tokens from the audit's price table, so that ListUnitPrice x \
            PricingQuantity = ListCost. Calls the table cannot split by class, and spend on the bill that no \
            record carries, are priced per USD. The rows add up to the audit's total. --format accepts csv \
            only; --now has no window to move here. Exit status: 0 ok, 1 an output that cannot be written, 64 \
            bad usage, 65 bad input.
            """,
        positionals: [AuditInputs.ledgerPositional],
        options: ReportRun.options([focus, billingAccount, output])
    )

    static func run(_ parsed: ParsedArguments, _ io: CommandIO) async -> ExitCode {
        var configuration: AuditConfiguration
        do throws(UsageError) {
            guard parsed.flag("focus") else {
                throw UsageError(message: "missing the export format: '--focus' (FOCUS 1.2 CSV) is the only one")
            }
            if let format = parsed.value("format"), format != "csv" {
                throw UsageError(message: "the value '\(format)' is invalid for '--format'; export writes csv only")
            }
            if let account = parsed.value("billing-account"), account.trimmingCharacters(in: .whitespaces).isEmpty {
                throw UsageError(message: "the value '\(account)' is invalid for '--billing-account'; expected an id")
            }
            if parsed.value("output")?.isEmpty == true {
                throw UsageError(message: "the value '' is invalid for '--output'; expected a file")
            }
            configuration = try AuditInputs.parseOptions(parsed)
            _ = try AuditCommand.parseNow(parsed.value("now"))
        } catch {
            return CostAuditCommand.usageFailure(spec, error.message, io)
        }
        let inputs: CommandInputs
        do throws(CommandStop) {
            inputs = try AuditInputs.inputs(parsed, spec: spec, io: io)
        } catch {
            return error.status
        }
        let outputPath = parsed.value("output")
        // An output that is one of the inputs (a link to it too) would empty it: refused before anything is read.
        if let outputPath {
            if let input = Auditor.inputOverwritten(by: outputPath, inputs: inputs.files) {
                io.writeError("error: \(outputPath): --output would overwrite the input \(input)\n")
                return .usage
            }
        }
        if let status = AuditInputs.load(inputs, into: &configuration, io: io) { return status }

        let progress = ProgressLine(io: io, enabled: io.errorIsTerminal && !parsed.flag("quiet"))
        let export: FocusExport
        do throws(CostAuditError) {
            let audit = try Auditor.attribute(configuration) { progress.update($0) }
            export = try FocusExport(
                audit,
                prices: configuration.prices,
                billingAccount: parsed.value("billing-account")
            )
            progress.finish()
            ReportRun.warnSkippedLines(audit.report, io: io)
        } catch {
            progress.finish()
            io.writeError("error: \(error)\n")
            return AuditCommand.exitCode(for: error, outputPath: nil)
        }
        let text = export.csv()
        guard let outputPath else {
            io.writeOutput(text)
            return .success
        }
        // Replaced whole or not at all: a full disk leaves the last export as it was.
        do throws(ReplacingFile.Failure) {
            try ReplacingFile.write(Array(text.utf8), to: outputPath)
        } catch {
            io.writeError("error: \(outputPath): cannot be written: \(error.reason)\n")
            return .failure
        }
        return .success
    }
}
