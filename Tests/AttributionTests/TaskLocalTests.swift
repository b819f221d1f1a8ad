import Attribution
import Testing

@Suite("Task-local attribution and its documented limit")
struct TaskLocalTests {
    @Test("current is nil outside withAttribution and the envelope inside")
    func insideOutside() async throws {
        let envelope = try Fixture.typical()
        #expect(AttributionEnvelope.current == nil)
        let inside = await withAttribution(envelope) { () async -> AttributionEnvelope? in
            await Task.yield()
            return AttributionEnvelope.current
        }
        #expect(inside == envelope)
        #expect(AttributionEnvelope.current == nil)
    }

    @Test("the innermost binding wins, and the outer one returns after it")
    func nested() throws {
        let outer = try Fixture.typical()
        let inner = outer.child(tool: "search")
        AttributionEnvelope.withAttribution(outer) {
            #expect(AttributionEnvelope.current == outer)
            AttributionEnvelope.withAttribution(inner) { #expect(AttributionEnvelope.current == inner) }
            #expect(AttributionEnvelope.current == outer)
        }
    }

    @Test("child tasks of the scope see the envelope")
    func childTasks() async throws {
        let envelope = try Fixture.typical()
        let seen = await withAttribution(envelope) { () async -> [AttributionEnvelope?] in
            await withTaskGroup(of: AttributionEnvelope?.self) { group in
                for _ in 0..<3 { group.addTask { AttributionEnvelope.current } }
                var all: [AttributionEnvelope?] = []
                for await value in group { all.append(value) }
                return all
            }
        }
        #expect(seen == [envelope, envelope, envelope])
    }

    @Test("Task.detached does not see the envelope: the limit that is why jobs carry it in the payload")
    func detachedDoesNotInherit() async throws {
        let envelope = try Fixture.typical()
        let (inherited, detached) = await withAttribution(envelope) {
            () async -> (AttributionEnvelope?, AttributionEnvelope?) in
            let inherited = await Task { AttributionEnvelope.current }.value
            let detached = await Task.detached { AttributionEnvelope.current }.value
            return (inherited, detached)
        }
        #expect(inherited == envelope)
        #expect(detached == nil)
    }

    @Test("errors thrown inside the scope come out with their own type")
    func typedErrors() throws {
        struct Failure: Error, Equatable {}
        let envelope = try Fixture.typical()
        #expect(throws: Failure()) {
            try AttributionEnvelope.withAttribution(envelope) { () throws(Failure) in throw Failure() }
        }
    }
}
