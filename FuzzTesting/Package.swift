// swift-tools-version: 6.1
// libFuzzer entry points for what reads untrusted bytes: both syslog parsers (with the JSON encoder),
// the stream framer, the RELP reader and the configuration reader. Built with `-sanitize=fuzzer,address` by run.sh;
// its own package so the main build never carries the sanitizer flags.
import PackageDescription

let package = Package(
    name: "sluice-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: "../"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzParser",
            dependencies: [.product(name: "SyslogProtocol", package: "sluice"), .product(name: "Codec", package: "sluice")],
            path: "Sources/FuzzParser"
        ),
        .executableTarget(
            name: "FuzzFramer",
            dependencies: [.product(name: "Framing", package: "sluice"), .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/FuzzFramer"
        ),
        .executableTarget(
            name: "FuzzRELP",
            dependencies: [.product(name: "Framing", package: "sluice"), .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/FuzzRELP"
        ),
        .executableTarget(
            name: "FuzzConfig",
            dependencies: [.product(name: "SluiceConfig", package: "sluice")],
            path: "Sources/FuzzConfig"
        ),
    ],
    swiftLanguageModes: [.v6]
)
