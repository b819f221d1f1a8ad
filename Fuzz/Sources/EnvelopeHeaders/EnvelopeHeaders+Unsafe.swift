@_spi(Fuzzing) import Attribution

// The envelope's header form (`traceparent` and `baggage`), read from `name: value` lines.
// libFuzzer calls this once per input; a failed property traps, which libFuzzer reports as a crash and saves.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = unsafe data.map { unsafe Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .broken(let failure) = AttributionFuzzing.headers(bytes) { fatalError(failure) }
    return 0
}
