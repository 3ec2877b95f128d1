import Benchmark
import Foundation
import Framing
import Ingest
import NIOCore
import S3

/// The framer on a TCP stream as rsyslog sends it, and SigV4 signing of S3 requests.
///
/// One iteration of a framer benchmark decodes a 1 MiB stream of 130-byte messages (about 7,900
/// frames), so `throughput` × 7,900 is frames per second; `mallocCountTotal` per iteration over
/// 7,900 is the allocations per frame. The LF-framed stream is the baseline for the octet-counted one.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        maxDuration: .seconds(3)
    )

    let message = "<134>Nov 27 10:00:00 web-1 app[4242]: " + String(repeating: "x", count: 92)
    func stream(octetCounted: Bool) -> ByteBuffer {
        var buffer = ByteBuffer()
        while buffer.readableBytes < 1 << 20 {
            buffer.writeString(octetCounted ? "\(message.utf8.count) \(message)" : message + "\n")
        }
        return buffer
    }
    for (name, octetCounted) in [("LF-framed (baseline)", false), ("octet-counted", true)] {
        let input = stream(octetCounted: octetCounted)
        Benchmark("Framer: 1 MiB of \(name) 130-byte messages") { benchmark in
            for _ in benchmark.scaledIterations {
                var decoder = SyslogFrameDecoder(limit: 8192)
                var buffer = input
                var frames = 0
                loop: while true {
                    switch decoder.decodeNext(from: &buffer) {
                    case .frame: frames += 1
                    case .progress: continue
                    case .needMoreData: break loop
                    }
                }
                blackHole(frames)
            }
        }
    }

    let signer = SigV4Signer(
        credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "token"),
        region: "us-east-1", service: "s3"
    )
    let url = URL(string: "https://bucket.s3.us-east-1.amazonaws.com/syslog/2026112700_0.gz?partNumber=3&uploadId=abc.def-123")!
    let headers = [("Host", "bucket.s3.us-east-1.amazonaws.com"), ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), ("Content-Type", "application/x-gzip")]
    let date = Date(timeIntervalSince1970: 1_796_000_000)
    Benchmark("SigV4: sign an UploadPart request") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(signer.signedHeaders(
                method: "PUT", url: url, headers: headers,
                payloadSHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", date: date
            ))
        }
    }
}
