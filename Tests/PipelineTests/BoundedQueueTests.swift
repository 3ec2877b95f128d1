import Synchronization
import Testing

@testable import Pipeline

struct BoundedQueueTests {
    @Test func deliversInOrder() async throws {
        let queue = BoundedQueue<Int>(.watermark(low: 2, high: 8))
        for value in 0..<5 { try await queue.send(value) }
        queue.finish()
        var received: [Int] = []
        while let value = await queue.next() { received.append(value) }
        #expect(received == [0, 1, 2, 3, 4])
    }

    /// The producer waits once `high` elements are queued, and resumes only when consumers bring the
    /// queue down to `low`.
    @Test func producerWaitsAtHighWatermarkUntilLow() async throws {
        let queue = BoundedQueue<Int>(.watermark(low: 1, high: 4))
        let sent = Atomic<Int>(0)
        let producer = Task {
            for value in 0..<10 {
                try await queue.send(value)
                sent.add(1, ordering: .relaxed)
            }
        }
        // The fourth send queues its element, then waits.
        let blocked = await waitUntil { queue.count == 4 && sent.load(ordering: .relaxed) == 3 }
        #expect(blocked)
        try await Task.sleep(for: .milliseconds(100))
        #expect(sent.load(ordering: .relaxed) == 3, "still waiting while the queue is full")

        // Taking two (4 → 2) is not enough: low is 1.
        _ = await queue.next()
        _ = await queue.next()
        try await Task.sleep(for: .milliseconds(100))
        #expect(sent.load(ordering: .relaxed) == 3)

        // Taking the third (→ 1) reaches low and wakes the producer.
        _ = await queue.next()
        let resumed = await waitUntil { sent.load(ordering: .relaxed) > 3 }
        #expect(resumed)

        var rest: [Int] = []
        for _ in 0..<7 {
            if let value = await queue.next() { rest.append(value) }
        }
        try await producer.value
        #expect(rest == Array(3..<10))
    }

    @Test func trySendRefusesWhenFull() {
        let queue = BoundedQueue<Int>(.watermark(low: 0, high: 2))
        #expect(queue.trySend(1))
        #expect(queue.trySend(2))
        #expect(!queue.trySend(3))
        #expect(queue.count == 2)
    }

    @Test func finishDrainsThenEndsAndRejectsSends() async throws {
        let queue = BoundedQueue<Int>(.watermark(low: 1, high: 10))
        try await queue.send(1)
        try await queue.send(2)
        queue.finish()
        await #expect(throws: QueueFinishedError.self) { try await queue.send(3) }
        #expect(await queue.next() == 1)
        #expect(await queue.next() == 2)
        #expect(await queue.next() == nil)
    }

    @Test func finishWakesWaitingConsumers() async {
        let queue = BoundedQueue<Int>(.watermark(low: 1, high: 10))
        let consumer = Task { await queue.next() }
        try? await Task.sleep(for: .milliseconds(50))
        queue.finish()
        #expect(await consumer.value == nil)
    }

    @Test func finishReleasesAWaitingProducerWhoseElementIsQueued() async throws {
        let queue = BoundedQueue<Int>(.watermark(low: 0, high: 1))
        let producer = Task { try await queue.send(1) }
        _ = await waitUntil { queue.count == 1 }
        queue.finish()
        try await producer.value
        #expect(await queue.next() == 1)
        #expect(await queue.next() == nil)
    }

    /// Several consumers share the work: every element is taken exactly once.
    @Test(arguments: [1, 2, 4])
    func everyElementIsTakenOnceByManyConsumers(consumers: Int) async throws {
        let queue = BoundedQueue<Int>(.watermark(low: 2, high: 8))
        let total = 2000
        let taken = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<consumers {
                group.addTask {
                    var mine: [Int] = []
                    while let value = await queue.next() { mine.append(value) }
                    return mine
                }
            }
            group.addTask {
                for value in 0..<total { try? await queue.send(value) }
                queue.finish()
                return []
            }
            var all: [Int] = []
            for await part in group { all += part }
            return all
        }
        #expect(taken.count == total)
        #expect(Set(taken) == Set(0..<total))
    }

    @Test func cancelledConsumerGetsNil() async {
        let queue = BoundedQueue<Int>(.watermark(low: 1, high: 10))
        let consumer = Task { await queue.next() }
        try? await Task.sleep(for: .milliseconds(50))
        consumer.cancel()
        #expect(await consumer.value == nil)
        // The queue still works for others.
        #expect(queue.trySend(7))
        #expect(await queue.next() == 7)
    }
}

func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}
