import Attribution
import Foundation
import Testing

private struct Transient: Error {}
private struct Permanent: Error {}

/// Records announced units in memory.
private final class RecordingAnnouncer: UnitAnnouncer {
    let units = Lock<[AttributionEnvelope]>([])
    func announce(_ envelope: AttributionEnvelope) throws { units.withLock { $0.append(envelope) } }
}

private func requestEnvelope(user: String = "u_42") throws -> AttributionEnvelope {
    try AttributionEnvelope.tag(
        userID: user,
        feature: "summarize",
        team: "growth",
        project: "assistant",
        taskType: "summarize"
    )
}

@Suite("Job middleware keeps attribution across a queue")
struct JobMiddlewareTests {
    let jobBody = Array(#"{"document_id":"d_9","pages":[1,2,3]}"#.utf8)

    @Test("prepare mints a child of the request, embeds it beside the job's keys, and announces it")
    func prepareMintsChild() throws {
        let announcer = RecordingAnnouncer()
        let middleware = AttributionJobMiddleware(announcer: announcer)
        let request = try requestEnvelope()
        let payload = try middleware.prepare(jobBody, parent: request) { $0.taskType = "extract" }
        let job = try AttributionEnvelope.extract(from: payload)
        #expect(job.parentID == request.leafID)
        #expect(job.leafID != request.leafID)
        #expect(job.traceID == request.traceID)
        #expect(job.rootID == request.rootID)
        #expect(job.userID == "u_42")
        #expect(job.taskType == "extract")
        #expect(job.attempt == 1)
        #expect(announcer.units.withLock { $0 } == [job])
        let text = String(decoding: payload, as: UTF8.self)
        #expect(text.contains(#""document_id":"d_9""#))
        #expect(text.contains(#""pages":[1,2,3]"#))
    }

    @Test("prepare(payload:) mints, checks and announces the job's unit, beside a Codable payload's keys")
    func prepareCodablePayload() throws {
        struct Summarize: Codable, Sendable, Equatable { var documentID: Int }
        let announcer = RecordingAnnouncer()
        let middleware = AttributionJobMiddleware(announcer: announcer)
        let request = try requestEnvelope()
        let job = try middleware.prepare(payload: Summarize(documentID: 42), parent: request) {
            $0.taskType = "extract"
        }
        #expect(job.attribution.parentID == request.leafID)
        #expect(job.attribution.traceID == request.traceID)
        #expect(job.attribution.taskType == "extract")
        #expect(announcer.units.withLock { $0 } == [job.attribution])
        // The worker reads the same envelope from the encoded bytes, whichever way it decodes them.
        let bytes = Array(try JSONEncoder().encode(job))
        #expect(try AttributionEnvelope.extract(from: bytes) == job.attribution)
        let back = try JSONDecoder().decode(AttributedPayload<Summarize>.self, from: Data(bytes))
        #expect(back == job)
        #expect(try middleware.willEnqueue(bytes, context: JobContext(jobName: "summarize")) == bytes)
    }

    @Test("the safe enqueue path refuses a parent missing a required field, and announces nothing")
    func prepareRefusesIncomplete() throws {
        let announcer = RecordingAnnouncer()
        let middleware = AttributionJobMiddleware(announcer: announcer)
        var partial = try requestEnvelope()
        partial.project = nil
        let codable = #expect(throws: AttributionError.self) {
            try middleware.prepare(payload: ["document": 7], parent: partial)
        }
        #expect(codable?.code == .missingFields)
        #expect(codable?.description.contains("project") == true)
        #expect(throws: AttributionError.self) { try middleware.jobEnvelope(parent: partial) }
        #expect(throws: AttributionError.self) { try middleware.prepare(jobBody, parent: partial) }
        #expect(announcer.units.withLock { $0 }.isEmpty)
        // Lenient mode lets it through, still announced, as willEnqueue does.
        let lenient = AttributionJobMiddleware(mode: .lenient, announcer: announcer)
        let child = try lenient.jobEnvelope(parent: partial)
        #expect(child.parentID == partial.leafID && child.project == nil)
        #expect(announcer.units.withLock { $0 } == [child])
    }

    @Test("a job with no envelope is refused at enqueue under the default policy")
    func strictRefusesUntagged() throws {
        let middleware = AttributionJobMiddleware()
        let error = #expect(throws: AttributionError.self) {
            try middleware.willEnqueue(jobBody, context: JobContext(jobName: "summarize"))
        }
        #expect(error?.code == .missingEnvelope)
    }

    @Test("a job whose envelope lacks required fields is refused, naming every missing field")
    func strictRefusesIncomplete() throws {
        var partial = try requestEnvelope()
        partial.team = nil
        partial.project = nil
        let payload = try partial.embed(into: jobBody)
        let error = #expect(throws: AttributionError.self) {
            try AttributionJobMiddleware().willEnqueue(payload, context: JobContext(jobName: "summarize"))
        }
        #expect(error?.code == .missingFields)
        #expect(error?.reason.contains("team, project") == true)
    }

    @Test("the lenient mode lets an untagged job through and runs it with no envelope")
    func lenientPassesUntagged() throws {
        let middleware = AttributionJobMiddleware(mode: .lenient)
        let enqueued = try middleware.willEnqueue(jobBody, context: JobContext(jobName: "summarize"))
        #expect(enqueued == jobBody)
        #expect(try middleware.willPerform(enqueued, context: JobContext(jobName: "summarize")) == nil)
    }

    @Test("a redelivery after a worker died takes its attempt from the queue's delivery count")
    func redeliveryRaisesAttempt() throws {
        let job = try requestEnvelope().child()
        let payload = try job.embed(into: jobBody)
        let middleware = AttributionJobMiddleware()
        let first = try #require(
            try middleware.willPerform(payload, context: JobContext(jobName: "j", deliveryCount: 1))
        )
        let second = try #require(
            try middleware.willPerform(payload, context: JobContext(jobName: "j", deliveryCount: 2))
        )
        #expect(first == job)
        #expect(second.attempt == 2)
        #expect(second.leafID == job.leafID)
        #expect(second.userID == job.userID)
        #expect(second.traceID == job.traceID)
    }

    @Test("a retry triggered under an operator's envelope keeps the original user and trace")
    func operatorRetryKeepsIdentity() throws {
        let job = try requestEnvelope(user: "u_original").child()
        let payload = try job.embed(into: jobBody)
        let operatorEnvelope = try requestEnvelope(user: "ops-admin")
        let middleware = AttributionJobMiddleware(retryPolicy: RetryPolicy(maxAttempts: 3, initialDelay: .zero))
        let decision = AttributionEnvelope.withAttribution(operatorEnvelope) {
            middleware.didFail(payload, error: Transient(), context: JobContext(jobName: "j", deliveryCount: 1))
        }
        let retried = try AttributionEnvelope.extract(from: try #require(decision.retry?.payload))
        #expect(retried.userID == "u_original")
        #expect(retried.traceID == job.traceID)
        #expect(retried.leafID == job.leafID)
        #expect(retried.attempt == 2)
        #expect(retried == job.retried())
    }

    @Test("the failure hook gives up when attempts are exhausted or the error is not retryable")
    func failureGivesUp() throws {
        let job = try requestEnvelope().child()
        let policy = RetryPolicy(maxAttempts: 2, initialDelay: .zero, isRetryable: { $0 is Transient })
        let middleware = AttributionJobMiddleware(retryPolicy: policy)
        let payload = try job.embed(into: jobBody)
        #expect(middleware.didFail(payload, error: Transient(), context: JobContext(jobName: "j")).retry != nil)
        #expect(middleware.didFail(payload, error: Permanent(), context: JobContext(jobName: "j")).retry == nil)
        let second = try job.retried().embed(into: jobBody)
        #expect(middleware.didFail(second, error: Transient(), context: JobContext(jobName: "j")).retry == nil)
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("backoff grows exponentially and stops at the cap; jitter only shortens")
    func backoff() {
        let policy = RetryPolicy(
            maxAttempts: 10,
            initialDelay: .milliseconds(100),
            multiplier: 2,
            maxDelay: .seconds(1),
            jitter: 0
        )
        #expect(policy.delay(after: 1) == .milliseconds(100))
        #expect(policy.delay(after: 2) == .milliseconds(200))
        #expect(policy.delay(after: 3) == .milliseconds(400))
        #expect(policy.delay(after: 5) == .seconds(1))
        #expect(policy.delay(after: 1000) == .seconds(1))
        let jittered = RetryPolicy(initialDelay: .milliseconds(100), jitter: 0.5)
        for _ in 0..<100 {
            let d = jittered.delay(after: 1)
            #expect(d <= .milliseconds(100) && d >= .milliseconds(50))
        }
    }

    @Test("shouldRetry respects max attempts and the predicate")
    func shouldRetry() {
        let policy = RetryPolicy(maxAttempts: 3, isRetryable: { $0 is Transient })
        #expect(policy.shouldRetry(attempt: 1, error: Transient()))
        #expect(policy.shouldRetry(attempt: 2, error: Transient()))
        #expect(!policy.shouldRetry(attempt: 3, error: Transient()))
        #expect(!policy.shouldRetry(attempt: 1, error: Permanent()))
    }
}

@Suite("In-process retries and fan-out")
struct RetryAndFanOutTests {
    @Test("withRetries runs each try under that try's envelope, ignoring the caller's ambient envelope")
    func withRetriesKeepsIdentity() async throws {
        let job = try requestEnvelope(user: "u_original").child()
        let operatorEnvelope = try requestEnvelope(user: "ops-admin")
        let seen = Lock<[AttributionEnvelope]>([])
        let result = try await AttributionEnvelope.withAttribution(operatorEnvelope) {
            try await job.withRetries(policy: RetryPolicy(maxAttempts: 3), sleep: { _ in }) { tryEnvelope in
                seen.withLock { $0.append(AttributionEnvelope.current!) }
                #expect(AttributionEnvelope.current == tryEnvelope)
                if tryEnvelope.attempt < 3 { throw Transient() }
                return "done"
            }
        }
        #expect(result == "done")
        let tries = seen.withLock { $0 }
        #expect(tries.map(\.attempt) == [1, 2, 3])
        #expect(tries.allSatisfy { $0.userID == "u_original" && $0.traceID == job.traceID && $0.leafID == job.leafID })
    }

    @Test("withRetries rethrows the last error once the policy gives up")
    func withRetriesGivesUp() async throws {
        let job = try requestEnvelope()
        let count = Lock(0)
        await #expect(throws: Transient.self) {
            try await job.withRetries(policy: RetryPolicy(maxAttempts: 2), sleep: { _ in }) { _ -> Int in
                count.withLock { $0 += 1 }
                throw Transient()
            }
        }
        #expect(count.withLock { $0 } == 2)
    }

    @Test("mapChildren stamps parent and leaf ids, announces each child, bounds concurrency, keeps input order")
    func mapChildren() async throws {
        let parent = try requestEnvelope()
        let announcer = RecordingAnnouncer()
        let running = Lock((now: 0, peak: 0))
        let inputs = Array(0..<20)
        let outputs = try await parent.mapChildren(
            inputs,
            maxConcurrency: 3,
            announcer: announcer,
            customize: { input, child in child.tool = "tool_\(input)" }
        ) { input, child in
            running.withLock {
                $0.now += 1
                $0.peak = max($0.peak, $0.now)
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 1...5)))
            running.withLock { $0.now -= 1 }
            #expect(AttributionEnvelope.current == child)
            return (input, child)
        }
        #expect(outputs.map(\.0) == inputs)
        let children = outputs.map(\.1)
        #expect(Set(children.map(\.leafID)).count == 20)
        #expect(children.allSatisfy { $0.parentID == parent.leafID && $0.traceID == parent.traceID })
        #expect(children.allSatisfy { $0.rootID == parent.rootID && $0.attempt == 1 && $0.userID == "u_42" })
        #expect(children.enumerated().allSatisfy { $0.element.tool == "tool_\($0.offset)" })
        #expect(announcer.units.withLock { $0 } == children)
        #expect(running.withLock { $0.peak } <= 3)
    }

    @Test("mapChildren throws the first child error and cancels the children still running")
    func mapChildrenThrowsAndCancels() async throws {
        let parent = try requestEnvelope()
        let announcer = RecordingAnnouncer()
        let started = Lock(0)
        let cancelled = Lock<[Int]>([])
        let (allStarted, signal) = AsyncStream<Void>.makeStream()
        await #expect(throws: Permanent.self) {
            _ = try await parent.mapChildren([0, 1, 2, 3], announcer: announcer) { input, _ -> Int in
                if input == 2 {
                    // Fail only once the other three are running, so there is something to cancel.
                    for await _ in allStarted { break }
                    throw Permanent()
                }
                if started.withLock({
                    $0 += 1
                    return $0
                }) == 3 {
                    signal.yield()
                }
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    cancelled.withLock { $0.append(input) }
                    throw error
                }
                return input
            }
        }
        #expect(cancelled.withLock { $0.sorted() } == [0, 1, 3])
        // Each child was announced before any ran, the failed one included.
        #expect(announcer.units.withLock { $0 }.count == 4)
    }

    @Test("when a child cannot be announced, mapChildren throws that error and runs no child")
    func mapChildrenAnnounceFailure() async throws {
        struct LedgerDown: Error {}
        struct FailingAnnouncer: UnitAnnouncer {
            func announce(_ envelope: AttributionEnvelope) throws { throw LedgerDown() }
        }
        let parent = try requestEnvelope()
        let ran = Lock(0)
        await #expect(throws: LedgerDown.self) {
            _ = try await parent.mapChildren([1, 2], announcer: FailingAnnouncer()) { input, _ in
                ran.withLock { $0 += 1 }
                return input
            }
        }
        #expect(ran.withLock { $0 } == 0)
    }

    @Test("a failing child is retried under its own envelope, then its error is thrown")
    func mapChildrenRetriesThenThrows() async throws {
        let parent = try requestEnvelope()
        let attempts = Lock<[Int: [Int]]>([:])
        await #expect(throws: Transient.self) {
            _ = try await parent.mapChildren([1], retryPolicy: RetryPolicy(maxAttempts: 2), sleep: { _ in }) {
                input,
                child -> Int in
                attempts.withLock { $0[input, default: []].append(child.attempt) }
                throw Transient()
            }
        }
        #expect(attempts.withLock { $0 }[1] == [1, 2])
        let recovered = Lock(false)
        let outputs = try await parent.mapChildren([0, 1], retryPolicy: RetryPolicy(maxAttempts: 2), sleep: { _ in }) {
            input,
            child in
            if input == 1, child.attempt == 1 {
                recovered.withLock { $0 = true }
                throw Transient()
            }
            return input * 10 + child.attempt
        }
        #expect(recovered.withLock { $0 })
        #expect(outputs == [1, 12])
    }
}
