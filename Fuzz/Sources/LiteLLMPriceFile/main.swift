@_spi(Fuzzing) import Attribution
@_spi(Fuzzing) import CostLedger
import Foundation
import FuzzerDriver

// LiteLLM's `model_prices_and_context_window.json`.
// libFuzzer calls `fuzzOneInput` once per input; a failed property traps, which libFuzzer reports as a crash
// and saves. Unsafe only where libFuzzer lends the input: it is copied out, within its size, during the call.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = unsafe data.map { unsafe Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .broken(let failure) = LedgerFuzzing.priceFile(bytes, litellm: true) { fatalError(failure) }
    return 0
}

exit(unsafe fuzzer_driver_run(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput))
