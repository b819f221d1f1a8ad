import CostAuditCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

exit(await CostAuditCommand.run(arguments: Array(CommandLine.arguments.dropFirst()), io: .process))
