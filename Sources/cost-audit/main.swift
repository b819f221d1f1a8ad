import CMemoryTuning
import CostAuditCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The audit allocates and frees tables of tens of megabytes phase after phase; with a fixed mmap threshold
// each is mapped on its own and returned to the system when freed (see CMemoryTuning).
_ = cost_audit_fix_mmap_threshold(1 << 20)

exit(await CostAuditCommand.run(arguments: Array(CommandLine.arguments.dropFirst()), io: .process))
