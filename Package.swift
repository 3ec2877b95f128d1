// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SyslogProtocol", targets: ["SyslogProtocol"]),
        .library(name: "SluiceConfig", targets: ["SluiceConfig"]),
        .library(name: "Codec", targets: ["Codec"]),
        .library(name: "S3", targets: ["S3"]),
        .library(name: "Spool", targets: ["Spool"]),
        .library(name: "Framing", targets: ["Framing"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries, wrapped for Codec only.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),

        // Calendar arithmetic without Foundation: header stamps, object keys, SigV4 dates, log lines.
        .target(name: "CivilTime", path: "Sources/CivilTime"),

        // Frames and RFC 3164/5424 parsing: pure, synchronous, no dependencies.
        .target(name: "SyslogProtocol", dependencies: ["CivilTime"], path: "Sources/SyslogProtocol"),

        // The Fluentd-style configuration reader and the validated settings.
        .target(name: "SluiceConfig", path: "Sources/Config"),

        // Record encoders and compression streams.
        .target(
            name: "Codec",
            dependencies: ["SyslogProtocol", "CZlib", "CLZ4"],
            path: "Sources/Codec"
        ),

        // <sys/xattr.h> for the local-directory bucket's object metadata.
        .target(name: "CXattr", path: "Sources/CXattr"),

        // SigV4, credential providers, S3 client, object keys, local bucket.
        .target(
            name: "S3",
            dependencies: [
                "CivilTime", "CXattr",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Sources/S3"
        ),

        // CRC-32C in hardware (SSE 4.2, arm64 CRC), for the segment log's frames; Spool falls back to a table.
        .target(name: "CCRC32C", path: "Sources/CCRC32C"),

        // Partition buffer: the write-ahead segment log, chunks keyed by tag and time slice.
        .target(
            name: "Spool",
            dependencies: [
                "SyslogProtocol", "CivilTime", "CCRC32C",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Spool"
        ),

        // Stream framers: syslog (RFC 6587, octet counting or LF) and RELP frames. Pure decoders on
        // NIOCore's ByteBuffer, apart from the receivers so the fuzz targets link only them.
        .target(
            name: "Framing",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/Framing"
        ),

        // UDP, TCP, TLS and RELP receivers (SwiftNIO).
        .target(
            name: "Ingest",
            dependencies: [
                "SyslogProtocol", "CivilTime", "Framing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Ingest"
        ),

        // The stages wired as services.
        .target(
            name: "Pipeline",
            dependencies: [
                "SyslogProtocol", "SluiceConfig", "Codec", "S3", "Spool", "Ingest", "CivilTime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Pipeline"
        ),

        // The status endpoint: Prometheus /metrics and JSON /api/status over HTTP (NIO).
        .target(
            name: "Status",
            dependencies: [
                "CivilTime", "Codec",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Status"
        ),

        // `sluice loadgen`: numbered syslog messages over UDP, TCP or TLS at a set rate (NIO, no parser).
        .target(
            name: "LoadGen",
            dependencies: [
                "Ingest", "Framing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/LoadGen"
        ),

        .executableTarget(
            name: "sluice",
            dependencies: [
                "Pipeline", "SluiceConfig", "SyslogProtocol", "Codec", "CivilTime", "LoadGen", "Status",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/sluice"
        ),

        // Real components for tests: a loopback S3 server, a private rsyslogd, the sluice binary;
        // a stand-in instance metadata service (no real IMDSv2 can run here).
        .target(
            name: "TestSupport",
            dependencies: [
                "Spool",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),

        .testTarget(name: "SyslogProtocolTests", dependencies: ["SyslogProtocol", "CivilTime"], path: "Tests/SyslogProtocolTests"),
        .testTarget(name: "ConfigTests", dependencies: ["SluiceConfig"], path: "Tests/ConfigTests"),
        .testTarget(
            name: "StatusTests",
            dependencies: [
                "Status", "CivilTime",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/StatusTests"
        ),
        .testTarget(name: "CodecTests", dependencies: ["Codec", "SyslogProtocol"], path: "Tests/CodecTests"),
        .testTarget(
            name: "S3Tests",
            dependencies: [
                "S3", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/S3Tests"
        ),
        .testTarget(
            name: "SpoolTests",
            dependencies: ["Spool", "SyslogProtocol", "TestSupport", .product(name: "Logging", package: "swift-log")],
            path: "Tests/SpoolTests"
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest", "SyslogProtocol", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/IngestTests"
        ),
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "Pipeline", "SluiceConfig", "Spool", "Ingest", "SyslogProtocol", "CivilTime", "S3", "Codec", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PipelineTests"
        ),
        .testTarget(
            name: "LoadGenTests",
            dependencies: [
                "LoadGen", "Ingest", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/LoadGenTests"
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Pipeline", "SluiceConfig", "S3", "Codec", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/EndToEndTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
