import Attribution
import Testing

/// SplitMix64: small, seeded, reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Produces random and mutated inputs from valid seeds.
struct Mutator {
    var rng: SeededGenerator
    let seeds: [[UInt8]]
    /// Bytes that matter to JSON and to the envelope's rules, picked more often than others.
    static let interesting: [UInt8] =
        Array(#"{}[]":,\ ."0123456789-eE+abcdefxyzAFnutl/"#.utf8) + [
            0, 0x1F, 0x7F, 0x80, 0xC3, 0xA9, 0xED, 0xF0, 0xFF, 0x0A, 0x20,
        ]
    static let tokens: [[UInt8]] = [
        "null", "true", "\"\"", "{}", "[]", "1.0", "1e0", "-0", "2147483648", "\"v\":2", ",\"v\":1", "\"attempt\":1",
        "\\u0000", "\\ud800", "\"tags\":{\"a\":\"b\"}", "\"parent_id\":\"b7ad6b7169203331\"", "00000000", "AAAA",
        String(repeating: "[", count: 9), "\"x\":", "é", "😀",
    ].map { Array($0.utf8) }

    mutating func byte() -> UInt8 {
        Bool.random(using: &rng) ? Self.interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
    }

    mutating func random() -> [UInt8] {
        let count = Int.random(in: 0...120, using: &rng)
        var out: [UInt8] = []
        for _ in 0..<count { out.append(byte()) }
        if Bool.random(using: &rng) { out.insert(UInt8(ascii: "{"), at: 0) }
        return out
    }

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var out = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let index = out.isEmpty ? 0 : Int.random(in: 0..<out.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !out.isEmpty: out[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1: out.insert(byte(), at: index)
            case 2 where !out.isEmpty:
                let end = min(out.count, index + Int.random(in: 1...16, using: &rng))
                out.removeSubrange(index..<end)
            case 3: out = Array(out.prefix(index))
            case 4 where !out.isEmpty:
                let end = min(out.count, index + Int.random(in: 1...40, using: &rng))
                let chunk = out[index..<end]
                out.insert(contentsOf: chunk, at: Int.random(in: 0...out.count, using: &rng))
            case 5: out.insert(contentsOf: Self.tokens.randomElement(using: &rng)!, at: index)
            case 6 where !out.isEmpty: out[index] = byte()
            default:
                // Splice a piece of another seed in.
                let other = seeds.randomElement(using: &rng)!
                let start = Int.random(in: 0..<other.count, using: &rng)
                out.insert(contentsOf: other[start..<min(other.count, start + 30)], at: index)
            }
        }
        return out
    }

    mutating func next() -> [UInt8] {
        Int.random(in: 0..<5, using: &rng) == 0 ? random() : mutate(seeds.randomElement(using: &rng)!)
    }
}

@Suite("Fuzzing the envelope decoders: never a trap, always a value or an AttributionError")
struct EnvelopeFuzzTests {
    static func seeds() throws -> [[UInt8]] {
        var typical = try Fixture.typical()
        let child = typical.child(tool: "search", tags: ["k.1": "a\"b\\c\n"])
        typical.unknownFields = [.init(key: "later", json: #"{"a":[1,2.5,{"b":null}],"c":"\u00e9"}"#)]
        return [
            try Fixture.typical().canonicalJSON(), try typical.canonicalJSON(), try child.canonicalJSON(),
            try child.retried().canonicalJSON(), Array(Fixture.minimal().utf8),
            Array(Fixture.minimal(#","team":"caf\u00e9 \ud83d\ude00","created_at":"2026-01-01T00:00:00+05:30""#).utf8),
        ]
    }

    /// Checks one decoded value: it re-encodes, and the encoding decodes to the same value and bytes.
    static func checkRoundTrip(_ envelope: AttributionEnvelope, input: [UInt8]) {
        do {
            let canonical = try envelope.canonicalJSON()
            let again = try AttributionEnvelope(json: canonical)
            if try again != envelope || again.canonicalJSON() != canonical {
                Issue.record("round trip changed the value for input \(String(decoding: input, as: UTF8.self))")
            }
        } catch {
            Issue.record(
                "a decoded envelope failed to re-encode: \(error) for \(String(decoding: input, as: UTF8.self))"
            )
        }
    }

    @Test("100,000 random and mutated inputs through the JSON decoder")
    func jsonDecoder() throws {
        var mutator = Mutator(rng: SeededGenerator(seed: 0xC0FFEE), seeds: try Self.seeds())
        var decoded = 0
        var codes: Set<String> = []
        for _ in 0..<100_000 {
            let input = mutator.next()
            do {
                let envelope = try AttributionEnvelope(json: input)
                decoded += 1
                Self.checkRoundTrip(envelope, input: input)
            } catch {
                codes.insert(error.code.name)
            }
        }
        // The run reaches both outcomes and many kinds of refusal, so it exercised the decoder's paths.
        #expect(decoded > 1000)
        #expect(codes.count >= 8)
    }

    @Test("100,000 random and mutated payloads through extract(from:)")
    func payloadExtract() throws {
        let envelopes = try Self.seeds()
        let payloads = envelopes.map {
            Array(#"{"job":"summarize","n":[1,2],"attribution":"#.utf8) + $0 + Array("}".utf8)
        }
        var mutator = Mutator(rng: SeededGenerator(seed: 0xBEEF), seeds: payloads + envelopes)
        var decoded = 0
        for i in 0..<100_000 {
            // Half mutate the whole payload; half wrap a mutated envelope in an intact payload.
            let input =
                i % 2 == 0
                ? mutator.next()
                : Array(#"{"a":1,"attribution":"#.utf8) + mutator.mutate(envelopes[i % envelopes.count])
                    + Array("}".utf8)
            let envelope: AttributionEnvelope
            do {
                envelope = try AttributionEnvelope.extract(from: input)
            } catch {
                // A refusal is a value of the error type (typed throws): nothing more to check.
                _ = error.code
                continue
            }
            decoded += 1
            Self.checkRoundTrip(envelope, input: input)
            // Past this point nothing may throw: the payload was read, so it can take the envelope back.
            do {
                let embedded = try envelope.embed(into: input)
                if try AttributionEnvelope.extract(from: embedded) != envelope {
                    Issue.record("embed then extract changed the envelope")
                }
            } catch {
                Issue.record(
                    "a payload that extracts refused its own envelope: \(error) for \(String(decoding: input, as: UTF8.self))"
                )
            }
        }
        #expect(decoded > 1000)
    }
}
