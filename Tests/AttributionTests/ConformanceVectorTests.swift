import Attribution
import Foundation
import Testing

/// One case of `docs/conformance/envelopes.json`.
struct EnvelopeVector: Decodable, Sendable, CustomTestStringConvertible {
    struct Expectation: Decodable, Sendable {
        var canonical: String?
        var error: String?
        var field: String?
    }

    var name: String
    var input: String
    var expect: Expectation

    var testDescription: String { name }

    /// The published vectors, read from the repository.
    static let all: [EnvelopeVector] = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/conformance/envelopes.json")
        struct File: Decodable {
            var version: Int
            var cases: [EnvelopeVector]
        }
        do {
            return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
        } catch {
            Issue.record("cannot read \(url.path): \(error)")
            return []
        }
    }()
}

@Suite("Conformance vectors: docs/conformance/envelopes.json")
struct ConformanceVectorTests {
    @Test("the vector file holds valid and invalid cases")
    func fileIsComplete() {
        #expect(EnvelopeVector.all.count >= 60)
        #expect(EnvelopeVector.all.contains { $0.expect.canonical != nil })
        #expect(EnvelopeVector.all.contains { $0.expect.error != nil })
        #expect(Set(EnvelopeVector.all.map(\.name)).count == EnvelopeVector.all.count)
    }

    @Test("each case decodes to its canonical text or fails with its code and field", arguments: EnvelopeVector.all)
    func vector(_ vector: EnvelopeVector) throws {
        if let canonical = vector.expect.canonical {
            let envelope = try AttributionEnvelope(json: vector.input)
            #expect(try envelope.canonicalJSONString() == canonical)
            // Canonical text is a fixed point.
            #expect(try AttributionEnvelope(json: canonical).canonicalJSONString() == canonical)
            // And the same envelope inside a payload reads the same.
            let payload = Array(#"{"job":1,"attribution":\#(vector.input)}"#.utf8)
            if payload.count <= AttributionEnvelope.Limits.maxInputBytes {
                #expect(try AttributionEnvelope.extract(from: payload) == envelope)
            }
        } else {
            let code = try #require(vector.expect.error)
            let error = #expect(throws: AttributionError.self) { try AttributionEnvelope(json: vector.input) }
            #expect(error?.code.name == code)
            #expect(error?.field == vector.expect.field)
            #expect(AttributionError.Code(name: code) != nil)
        }
    }
}
