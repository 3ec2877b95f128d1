import Foundation
import Testing

@testable import Spool

@Suite("Partition buffer: handing sealed chunks to the uploader")
struct HandOutTests {
    static let slice: Int64 = 1_795_737_600

    @Test("sealed chunks are taken oldest first, once each, and released ones come back")
    func takeAndRelease() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let keys = ["a", "b", "c"].map { PartitionKey(tag: $0, timeSlice: Self.slice) }
        for key in keys {
            _ = try await buffer.append(batch([(key, jsonLines(["r"]))]))
            _ = await buffer.sealAll()
        }
        let first = try #require(await buffer.takeSealed())
        let second = try #require(await buffer.takeSealed())
        #expect([first.key.tag, second.key.tag] == ["a", "b"])
        await buffer.release(first.id)
        #expect(await buffer.takeSealed()?.key.tag == "a", "released: taken again before younger ones")
        #expect(await buffer.takeSealed()?.key.tag == "c")
        #expect(await buffer.takeSealed() == nil, "everything is handed out")
        try await buffer.commit(second.id)
        #expect(await buffer.pendingChunks().map(\.key.tag) == ["a", "c"])
    }

    @Test("reindex gives the next free index, durably, in the chunk's header")
    func reindex() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = PartitionKey(tag: "a", timeSlice: Self.slice)
        let id: ChunkID
        do {
            let buffer = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
            _ = try await buffer.append(batch([(key, jsonLines(["one", "two"]))]))
            let chunk = try #require(await buffer.sealAll().first)
            #expect(chunk.index == 0)
            let moved = try await buffer.reindex(chunk.id)
            #expect(moved.index == 1)
            #expect(moved.id == chunk.id)
            id = chunk.id
        }
        // After a restart the chunk keeps its new index, records intact, and 0 and 1 stay used.
        let restarted = try await PartitionBuffer(configuration: directory.configuration(), logger: quietLogger)
        let recovered = try #require(await restarted.pendingChunks().first)
        #expect(recovered.id == id)
        #expect(recovered.index == 1)
        #expect(recovered.recordCount == 2)
        #expect(try readRecords(recovered) == jsonLines(["one", "two"]))
        _ = try await restarted.append(batch([(key, jsonLines(["three"]))]))
        #expect(await restarted.sealAll().first?.index == 2)
    }
}
