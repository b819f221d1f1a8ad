@_spi(Fuzzing) import Attribution

// The envelope's JSON form: the public decoder, the canonical fast path and the general decoder.
// libFuzzer calls this once per input; a failed property traps, which libFuzzer reports as a crash and saves.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = unsafe data.map { unsafe Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .broken(let failure) = AttributionFuzzing.envelopeJSON(bytes) { fatalError(failure) }
    return 0
}
