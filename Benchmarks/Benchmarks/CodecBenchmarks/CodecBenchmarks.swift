import Benchmark
import Codec

/// Compression throughput per codec and level, on 16 MiB of JSON records shaped like a fleet's
/// syslog (sshd, CRON, sudo, kernel, systemd lines with varying hosts, pids, addresses and ids).
/// One iteration compresses the whole corpus, in the 1 MiB blocks the uploader reads, so
/// `throughput` × 16 is MiB/s. The compressed size of each is printed once, as a ratio.
///
/// The baseline is gzip level 6 (the tutorial's `store_as gzip`): compare the other rows with it.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(5),
        maxIterations: 30
    )

    let corpus = Corpus.records(bytes: 16 << 20)
    let cases: [(String, StoreAs, Int)] = [
        ("gzip level 1", .gzip, 1), ("gzip level 6 (baseline)", .gzip, 6), ("gzip level 9", .gzip, 9),
        ("lz4 level 1", .lz4, 1), ("lz4 level 9", .lz4, 9),
    ]
    for (name, storeAs, level) in cases {
        let size = (try? Corpus.compressedSize(corpus, storeAs: storeAs, level: level)) ?? 0
        print("\(name): 16 MiB of records -> \(size) bytes, \(String(format: "%.1f", Double(corpus.count) / Double(max(size, 1))))x")
        Benchmark("Codec: \(name), 16 MiB of JSON records") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try Corpus.compressedSize(corpus, storeAs: storeAs, level: level))
            }
        }
    }
}

enum Corpus {
    /// Compresses `corpus` in 1 MiB blocks; returns the compressed size.
    static func compressedSize(_ corpus: [UInt8], storeAs: StoreAs, level: Int) throws -> Int {
        guard let compressor = try storeAs.makeCompressor(level: level) else { return corpus.count }
        var output: [UInt8] = []
        output.reserveCapacity(4 << 20)
        var total = 0
        try corpus.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + (1 << 20), bytes.count)
                try compressor.compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), into: &output)
                total += output.count
                output.removeAll(keepingCapacity: true)
                offset = end
            }
        }
        try compressor.finish(into: &output)
        return total + output.count
    }

    /// JSON lines as Sluice writes them, from a seeded generator.
    static func records(bytes: Int) -> [UInt8] {
        var random = SplitMix(state: 0x5EED)
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        func number(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }
        func hex(_ count: Int) -> String { String((0..<count).map { _ in pick(Array("0123456789abcdef")) }) }
        let users = ["root", "ubuntu", "deploy", "alice", "bob", "jenkins", "postgres"]
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 512)
        while out.count < bytes {
            let host = "ip-172-31-\(number(0...255))-\(number(0...255))"
            let pid = String(number(300...65_000))
            let (ident, message): (String, String)
            switch number(0...5) {
            case 0:
                ident = "sshd"
                message = "Accepted publickey for \(pick(users)) from 10.\(number(0...255)).\(number(0...255)).\(number(0...255)) port \(number(1024...65_535)) ssh2: ED25519 SHA256:\(hex(43))"
            case 1:
                ident = "CRON"
                message = "(\(pick(users))) CMD (   cd / && run-parts --report /etc/cron.\(pick(["hourly", "daily", "weekly"])))"
            case 2:
                ident = "sudo"
                message = "\(pick(users)) : TTY=pts/\(number(0...9)) ; PWD=/home/\(pick(users)) ; USER=root ; COMMAND=/usr/bin/\(pick(["systemctl restart nginx", "apt-get update", "journalctl -u app", "cat /var/log/auth.log"]))"
            case 3:
                ident = "kernel"
                message = "[\(number(1...999_999)).\(number(100_000...999_999))] \(pick(["IPTABLES-DROP", "UFW BLOCK"])) IN=eth0 OUT= SRC=\(number(1...223)).\(number(0...255)).\(number(0...255)).\(number(0...255)) DST=172.31.\(number(0...255)).\(number(0...255)) LEN=\(number(40...1500)) TTL=\(number(30...128)) PROTO=TCP SPT=\(number(1024...65_535)) DPT=\(pick([22, 80, 443, 3389, 5432]))"
            case 4:
                ident = "systemd"
                message = "Started \(pick(["Session", "Daily apt download activities", "Cleanup of Temporary Directories", "User Manager for UID"])) \(number(1...9999))."
            default:
                ident = "app"
                message = #"request_id=\#(hex(32)) method=\#(pick(["GET", "POST", "PUT"])) path=/api/v1/\#(pick(["users", "orders", "items"]))/\#(number(1...99_999)) status=\#(pick([200, 200, 200, 201, 404, 500])) duration_ms=\#(number(1...2000))"#
            }
            out += Array(#"{"host":"\#(host)","ident":"\#(ident)","pid":"\#(pid)","message":"\#(message)"}"#.utf8)
            out.append(10)
        }
        return out
    }
}

/// A small seeded generator, so every run compresses the same corpus.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
