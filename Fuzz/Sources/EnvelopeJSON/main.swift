@_spi(Fuzzing) import Attribution
import Foundation
import FuzzerDriver

// The envelope's JSON form: the public decoder, the canonical fast path and the general decoder.
// libFuzzer calls `fuzzOneInput` once per input; a failed property traps, which libFuzzer reports as a crash
// and saves. Unsafe only where libFuzzer lends the input: it is copied out, within its size, during the call.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = unsafe data.map { unsafe Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .broken(let failure) = AttributionFuzzing.envelopeJSON(bytes) { fatalError(failure) }
    return 0
}

exit(unsafe fuzzer_driver_run(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput))
