import Benchmark
import Codec
import SyslogProtocol

/// The parse path must not allocate: `mallocCountTotal` should read 0 for the
/// two parse benchmarks, and only the output buffer's growth for the encoder.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3)
    )

    let now: Int64 = 1_796_000_000  // 2026-11-30
    let rfc3164 = Array(
        "<86>Nov 26 23:12:55 ip-172-31-92-150 CRON[32611]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)".utf8
    )
    let rfc5424 = Array(
        #"<165>1 2026-11-26T23:12:55.123456+00:00 mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry"#.utf8
    )
    let parser = SyslogParser()

    Benchmark("Parser: parse RFC 3164 line") { benchmark in
        rfc3164.withUnsafeBytes { frame in
            for _ in benchmark.scaledIterations {
                blackHole(try? parser.parse(frame, now: now))
            }
        }
    }

    Benchmark("Parser: parse RFC 5424 line") { benchmark in
        rfc5424.withUnsafeBytes { frame in
            for _ in benchmark.scaledIterations {
                blackHole(try? parser.parse(frame, now: now))
            }
        }
    }

    Benchmark("Parser: parse and encode JSON (RFC 3164)") { benchmark in
        var out: [UInt8] = []
        out.reserveCapacity(64 * 1024)
        rfc3164.withUnsafeBytes { frame in
            for _ in benchmark.scaledIterations {
                if let message = try? parser.parse(frame, now: now) {
                    JSONRecordEncoder.appendRecord(message, frame: frame, to: &out)
                }
                // Reuse the buffer, as the pipeline does per chunk.
                if out.count > 60 * 1024 { out.removeAll(keepingCapacity: true) }
            }
        }
        blackHole(out)
    }

    // A long message: its record is written into the worker's scratch room, too large for the stack.
    let long = Array(("<86>Nov 26 23:12:55 ip-172-31-92-150 app[1]: " + String(repeating: "a long message ", count: 64)).utf8)
    Benchmark("Parser: parse and encode JSON (RFC 3164, 1 KiB message)") { benchmark in
        let scratch = EncoderScratch()
        var out: [UInt8] = []
        out.reserveCapacity(64 * 1024)
        long.withUnsafeBytes { frame in
            for _ in benchmark.scaledIterations {
                if let message = try? parser.parse(frame, now: now) {
                    JSONRecordEncoder.appendRecord(message, frame: frame, to: &out, scratch: scratch)
                }
                if out.count > 60 * 1024 { out.removeAll(keepingCapacity: true) }
            }
        }
        blackHole(out)
    }
}
