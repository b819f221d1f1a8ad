@_spi(Fuzzing) import Attribution
@_spi(Fuzzing) import CostAudit
@_spi(Fuzzing) import CostAuditCLI
@_spi(Fuzzing) import CostLedger
import Foundation
import Testing

/// The fuzz targets of Fuzz/Package.swift, each with the entry point it calls (the same function, so the
/// properties the fuzzer checks are the ones checked here).
enum FuzzTarget: String, CaseIterable, CustomTestStringConvertible {
    case envelopeJSON = "EnvelopeJSON"
    case envelopeHeaders = "EnvelopeHeaders"
    case payloadEmbedding = "PayloadEmbedding"
    case ledgerLine = "LedgerLine"
    case openAIExport = "OpenAIExport"
    case anthropicExport = "AnthropicExport"
    case priceFile = "PriceFile"
    case liteLLMPriceFile = "LiteLLMPriceFile"
    case rulesFile = "RulesFile"
    case keyMapFile = "KeyMapFile"
    case arguments = "Arguments"

    var testDescription: String { rawValue }

    func check(_ bytes: [UInt8]) -> FuzzVerdict {
        switch self {
        case .envelopeJSON: AttributionFuzzing.envelopeJSON(bytes)
        case .envelopeHeaders: AttributionFuzzing.headers(bytes)
        case .payloadEmbedding: AttributionFuzzing.payload(bytes)
        case .ledgerLine: LedgerFuzzing.ledgerLine(bytes)
        case .openAIExport, .anthropicExport: AuditFuzzing.usageExport(bytes)
        case .priceFile: LedgerFuzzing.priceFile(bytes, litellm: false)
        case .liteLLMPriceFile: LedgerFuzzing.priceFile(bytes, litellm: true)
        case .rulesFile: AuditFuzzing.rules(bytes)
        case .keyMapFile: AuditFuzzing.keyMap(bytes)
        case .arguments: CLIFuzzing.arguments(bytes)
        }
    }

    /// The files of `Fuzz/<kind>/<target>/`, by name (none when the folder does not exist).
    func inputs(_ kind: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/\(kind)/\(rawValue)")
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            .filter { !$0.hasPrefix(".") }
            .map { name in (name, Array(try Data(contentsOf: folder.appendingPathComponent(name)))) }
    }
}

@Suite("The fuzz targets' seed corpus and every input they ever crashed on, replayed")
struct FuzzReplayTests {
    @Test(
        "every seed reads or is refused with an error, its properties hold, and some seeds read",
        arguments: FuzzTarget.allCases
    )
    func corpus(_ target: FuzzTarget) throws {
        let seeds = try target.inputs("Corpus")
        var accepted = 0
        for seed in seeds {
            switch target.check(seed.bytes) {
            case .accepted: accepted += 1
            case .rejected: break
            case .broken(let failure): Issue.record("Corpus/\(target)/\(seed.name): \(failure)")
            }
        }
        #expect(!seeds.isEmpty, "Fuzz/Corpus/\(target) holds no seed")
        // Seeds taken from real inputs read: a corpus of only refused input would fuzz the error paths alone.
        #expect(accepted > 0, "none of the \(seeds.count) seeds of \(target) reads")
    }

    @Test(
        "every input a fuzz target crashed on reads or is refused with an error, and its properties hold",
        arguments: FuzzTarget.allCases
    )
    func regressions(_ target: FuzzTarget) throws {
        for input in try target.inputs("Regressions") {
            if case .broken(let failure) = target.check(input.bytes) {
                Issue.record("Regressions/\(target)/\(input.name): \(failure)")
            }
        }
    }
}
