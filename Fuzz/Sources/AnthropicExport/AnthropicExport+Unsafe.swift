@_spi(Fuzzing) import Attribution
@_spi(Fuzzing) import CostAudit

// Anthropic's usage and cost reports (the audit's export reader, seeded with Anthropic pages).
// libFuzzer calls this once per input; a failed property traps, which libFuzzer reports as a crash and saves.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = unsafe data.map { unsafe Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .broken(let failure) = AuditFuzzing.usageExport(bytes) { fatalError(failure) }
    return 0
}
