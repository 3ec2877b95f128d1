#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
import TestSupport

/// Clients that try to cost the real `sluice` memory: its resident anonymous memory (the heap, from
/// /proc) stays bounded and other clients keep flowing.
@Suite(.serialized)
struct ConnectionAbuseTests {
    static func start(_ name: String) async throws -> (SluiceRun, tcp: Int, relp: Int, metrics: Int) {
        let directory = try PackagePaths.temporaryDirectory(name)
        let ports = try LoopbackPorts.free(2)
        try """
            <source>
              @type syslog
              port \(ports[0])
              bind 127.0.0.1
              tag abuse
              <transport tcp>
              </transport>
            </source>
            <source>
              @type relp
              port \(ports[1])
              bind 127.0.0.1
              tag abuse
            </source>
            <match **>
              @type null
            </match>

            """.write(toFile: directory + "/sluice.conf", atomically: true, encoding: .utf8)
        let sluice = try await SluiceRun(config: directory + "/sluice.conf", directory: directory, listeners: 2)
        let metrics = try #require(sluice.metricsPort)
        return (sluice, ports[0], ports[1], metrics)
    }

    static func anonymousKiB(_ sluice: SluiceRun) throws -> Int {
        try #require(ProcessMemory.of(pid: sluice.child.pid)).anonymousKiB
    }

    static func received(_ port: Int) async -> [String: Double] {
        ((try? await MetricsTests.status(port))?["inputs"] as? [String: [String: Double]])?
            .reduce(into: [:]) { sum, input in
                for (key, value) in input.value { sum[key, default: 0] += value }
            } ?? [:]
    }

    @Test func idleConnectionsAndAGigabyteWithoutNewlineCostBoundedMemoryWhileAnotherClientFlows() async throws {
        let (sluice, tcp, _, metrics) = try await Self.start("abuse-tcp")
        defer { sluice.child.signal(SIGKILL) }
        try await Task.sleep(for: .seconds(1))
        let before = try Self.anonymousKiB(sluice)

        // 2,000 connections that send nothing.
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<2000 { idle.append(try Loopback.connectTCP(port: tcp)) }
        let served = await eventually(timeout: .seconds(60)) { await Self.received(metrics)["open_connections"] == 2000 }
        let openNow = await Self.received(metrics)
        #expect(served, "\(openNow)")
        let withIdle = try Self.anonymousKiB(sluice)

        // 1 GiB without a newline on one connection, 20,000 messages on another, at the same time.
        let peak = Mutex(withIdle)
        let flooding = Atomic<Bool>(true)
        let sampler = Task {
            while flooding.load(ordering: .relaxed) {
                if let now = ProcessMemory.of(pid: sluice.child.pid) { peak.withLock { $0 = max($0, now.anonymousKiB) } }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let flood = Task.detached {
            let fd = try Loopback.connectTCP(port: tcp)
            defer { close(fd) }
            let block = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
            try Loopback.sendAll(fd, Array("<13>Nov 27 10:00:00 flood app: ".utf8))
            for _ in 0..<(1 << 14) { try Loopback.sendAll(fd, block) }
            try Loopback.sendAll(fd, Array("\n".utf8))
        }
        let busy = Task.detached {
            let fd = try Loopback.connectTCP(port: tcp)
            defer { close(fd) }
            for batch in 0..<200 {
                let lines = (0..<100).map { "<13>Nov 27 10:00:00 busy app: seq=\(batch * 100 + $0)\n" }.joined()
                try Loopback.sendAll(fd, Array(lines.utf8))
            }
        }
        try await flood.value
        try await busy.value
        let all = await eventually(timeout: .seconds(120)) {
            let counts = await Self.received(metrics)
            return counts["received_messages"] == 20_001 && counts["cut_messages"] == 1
        }
        flooding.store(false, ordering: .relaxed)
        await sampler.value
        let counts = await Self.received(metrics)
        #expect(all, "\(counts)")
        let highest = peak.withLock { $0 }
        print("""
            ConnectionAbuseTests (sluice binary): anonymous memory \(before) KiB at rest, \(withIdle) KiB with 2,000 idle \
            connections (\((withIdle - before) * 1024 / 2000) bytes each), at most \(highest) KiB while 1 GiB without a \
            newline and 20,000 messages on another connection went through; received \(Int(counts["received_messages"] ?? 0)), \
            cut \(Int(counts["cut_messages"] ?? 0))
            """)
        #expect(withIdle - before < 2000 * 16, "2,000 idle connections cost \(withIdle - before) KiB")
        #expect(highest - withIdle < 32 << 10, "the flood grew memory by \(highest - withIdle) KiB")
        #expect(await sluice.stop() == 0)
    }

    @Test func aRELPSenderThatNeverReadsItsAnswersCostsBoundedMemory() async throws {
        let (sluice, _, relp, metrics) = try await Self.start("abuse-relp")
        defer { sluice.child.signal(SIGKILL) }
        try await Task.sleep(for: .seconds(1))
        let before = try Self.anonymousKiB(sluice)
        let fd = try Loopback.connectTCP(port: relp)
        defer { close(fd) }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let open = "relp_version=0\nrelp_software=test\ncommands=syslog"
        try Loopback.sendAll(fd, Array("1 open \(open.utf8.count) \(open)\n".utf8))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        // Frames until the server stops taking them, at most 2,000,000 (about 200 MB).
        let message = "<13>Nov 27 10:00:00 mute app: " + String(repeating: "m", count: 60)
        var batch: [UInt8] = []
        for n in 0..<1000 { batch += Array("\(n + 2) syslog \(message.utf8.count) \(message)\n".utf8) }
        var written = 0
        var stalls = 0
        var highest = before
        while written < 2000 * batch.count, stalls < 100 {
            let count = batch.withUnsafeBytes { send(fd, $0.baseAddress!, batch.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                written += count
                stalls = 0
            } else {
                stalls += 1
                highest = max(highest, try Self.anonymousKiB(sluice))
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        highest = max(highest, try Self.anonymousKiB(sluice))
        let received = Int(await Self.received(metrics)["received_messages"] ?? 0)
        print("""
            ConnectionAbuseTests (sluice binary): a RELP sender that never reads wrote \(written / 1024) KiB \
            (\(written / (batch.count / 1000)) frames) before Sluice stopped reading; \(received) received; anonymous memory \
            \(before) KiB before, at most \(highest) KiB
            """)
        #expect(stalls >= 100, "Sluice kept reading all \(written) bytes though no answer was read")
        #expect(highest - before < 64 << 10, "memory grew by \(highest - before) KiB")
        #expect(await sluice.stop() == 0)
    }
}
