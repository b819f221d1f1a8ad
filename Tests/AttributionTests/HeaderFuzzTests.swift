import Attribution
import Testing

/// Deterministic fuzzing of the header reader: random strings and valid headers mutated by byte flips, insertions,
/// deletions, truncations and duplications. Nothing may trap; every input ends in headers or an AttributionError;
/// whatever is read is valid and survives a write and a second read unchanged.
@Suite("Header form fuzzing")
struct HeaderFuzzTests {
    /// SplitMix64: small, fast and the same on every platform, so a failing iteration can be replayed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [(traceparent: String, baggage: String?)] = [
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", nil),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "user_id=u_42"),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "user_id=u_42,feature=summarize,team=growth,project=assistant,task_type=summarize,tool=web%20search,"
                + "prompt_version=v1%2Bbeta,root_id=a3ce929d0e0e4736,parent_id=b7ad6b7169203331,attempt=2,"
                + "created_at=2026-11-24T16:02:00.123Z,tag.env=prod,tag.batch.id=b-1"
        ),
        (
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-future",
            " vendor=a%2Cb;ttl=60 , user_id = %C4%85%C5%9B%C4%87 ; meta , k=1=1;p;q=r,k=2, empty="
        ),
        (
            "\t00-12345678901234567890123456789012-1234567890123456-ff ",
            "root_id=1234567890123456,attempt=2147483647,tag.a=%F0%9F%92%BC,agent=a+b,x=%ff"
        ),
    ]

    /// Bytes that matter to the grammars, drawn more often than others.
    static let interesting: [UInt8] =
        Array("-0123456789abcdefABCDEF,;=%+ \t\"\\._~".utf8) + [0, 0x7F, 0xC3, 0xA9, 0xFF]

    static func randomByte(_ rng: inout SplitMix64) -> UInt8 {
        rng.next() % 3 == 0
            ? UInt8(truncatingIfNeeded: rng.next()) : interesting[Int(rng.next() % UInt64(interesting.count))]
    }

    static func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
        var bytes = Array(text.utf8)
        let rounds = 1 + Int(rng.next() % 4)
        for _ in 0..<rounds {
            let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 6 {
            case 0 where !bytes.isEmpty:  // flip bits of one byte
                bytes[position] ^= UInt8(truncatingIfNeeded: 1 &<< (rng.next() % 8))
            case 1 where !bytes.isEmpty:  // replace one byte
                bytes[position] = randomByte(&rng)
            case 2:  // insert
                bytes.insert(randomByte(&rng), at: bytes.isEmpty ? 0 : position)
            case 3 where !bytes.isEmpty:  // delete
                bytes.remove(at: position)
            case 4:  // truncate
                bytes.removeLast(bytes.count - position)
            default:  // duplicate a slice
                let end = min(bytes.count, position + Int(rng.next() % 40))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func randomText(_ rng: inout SplitMix64) -> String {
        let count = Int(rng.next() % 120)
        return String(decoding: (0..<count).map { _ in randomByte(&rng) }, as: UTF8.self)
    }

    @Test("100,000 random and mutated headers never trap and read back unchanged when accepted")
    func fuzz() throws {
        var rng = SplitMix64(state: 0x5EED_2026_1124)
        var accepted = 0
        var refused: [AttributionError.Code: Int] = [:]
        var failures: [String] = []
        for iteration in 0..<100_000 {
            let seed = Self.seeds[Int(rng.next() % UInt64(Self.seeds.count))]
            var traceparent = seed.traceparent
            var baggage = seed.baggage
            switch rng.next() % 8 {
            case 0:
                traceparent = Self.randomText(&rng)
            case 1:
                baggage = Self.randomText(&rng)
            case 2, 3:
                traceparent = Self.mutate(traceparent, &rng)
            default:
                baggage = Self.mutate(baggage ?? "", &rng)
            }
            do {
                let headers = try AttributionHeaders(traceparent: traceparent, baggage: baggage)
                accepted += 1
                if let problem = Self.checkRoundTrip(headers) {
                    failures.append("iteration \(iteration): \(problem)")
                }
            } catch {
                refused[error.code, default: 0] += 1
                // A hostile value cannot flood a log line: reasons quote at most a bounded prefix.
                if error.reason.isEmpty || error.description.utf8.count >= 1024 {
                    failures.append("iteration \(iteration): unhelpful error \(error)")
                }
            }
        }
        // #expect per iteration would dominate the run time; failures are collected and reported once.
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(5))")
        // The fuzzer reaches both outcomes and several kinds of refusal, or it tests nothing.
        #expect(accepted > 10_000)
        #expect(refused[.malformedHeader, default: 0] > 1000)
        #expect(refused[.invalidIdentifier, default: 0] > 100)
        #expect(refused.count >= 5)
    }

    /// What read must survive: it is valid, and writing it then reading that gives the same headers and the same
    /// bytes when written again. Only a limit may stop it from being written. Returns a description of the first
    /// broken property.
    static func checkRoundTrip(_ headers: AttributionHeaders) -> String? {
        do {
            try headers.envelope.validate()
        } catch {
            return "read an invalid envelope: \(error)"
        }
        let fields: [(name: String, value: String)]
        do {
            fields = try headers.headerFields()
        } catch {
            return error.code == .tooLarge ? nil : "could not write what was read: \(error)"
        }
        do {
            let again = try AttributionHeaders(headers: fields)
            if again != headers { return "read back \(again), expected \(headers)" }
            let rewritten = try again.headerFields()
            if rewritten.map(\.value) != fields.map(\.value) { return "rewrote \(rewritten), first wrote \(fields)" }
        } catch {
            return "could not read what was written: \(error) from \(fields)"
        }
        return nil
    }

    @Test("Header lists with random names, casing and line splits never trap")
    func fuzzHeaderLists() {
        var rng = SplitMix64(state: 42)
        let names = ["traceparent", "TRACEPARENT", "baggage", "Baggage", "tracestate", "trace-parent", "bagage"]
        for _ in 0..<10_000 {
            var lines: [(name: String, value: String)] = []
            for _ in 0..<Int(rng.next() % 5) {
                let name = names[Int(rng.next() % UInt64(names.count))]
                let seed = Self.seeds[Int(rng.next() % UInt64(Self.seeds.count))]
                let value =
                    name.lowercased() == "traceparent" ? seed.traceparent : Self.mutate(seed.baggage ?? "", &rng)
                lines.append((name, value))
            }
            do {
                let headers = try AttributionHeaders(headers: lines)
                #expect(lines.filter { $0.name.lowercased() == "traceparent" }.count == 1)
                _ = headers
            } catch {
                #expect(!error.reason.isEmpty)
            }
        }
    }
}
