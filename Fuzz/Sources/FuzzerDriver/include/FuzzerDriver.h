#ifndef FUZZER_DRIVER_H
#define FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (its command line, corpus folders and options) over `test_one_input`.
///
/// SwiftPM renames an executable's entry point to `<Target>_main` and links `main` to it, so libFuzzer's own
/// `main` is never linked in: each target's main.swift calls this instead, which hands the command line to
/// `LLVMFuzzerRunDriver`, the driver libFuzzer exports for programs that keep their own `main`.
int fuzzer_driver_run(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
