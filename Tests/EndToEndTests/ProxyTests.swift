#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import TestSupport

/// `proxy_uri`: where a site's S3 traffic must go through its proxy, every request does, and the
/// objects land; ignoring it would send logs around the proxy.
@Suite(.serialized)
struct ProxyTests {
    @Test func everyS3RequestGoesThroughTheProxy() async throws {
        let server = try await S3TestServer.shared(.seaweedFS)
        let bucket = "proxied-\(UInt32.random(in: 0...UInt32.max))"
        try await offThePool { try server.createBucket(bucket) }
        let directory = try PackagePaths.temporaryDirectory("proxy")
        // An HTTP proxy as sites run them: S3 requests reach it as CONNECT tunnels.
        let python = try #require(ChildProcess.find("python3"))
        let proxy = try ChildProcess(
            python, [PackagePaths.root + "/Scripts/connect-proxy.py"], logPath: directory + "/proxy.log")
        defer { proxy.signal(SIGKILL) }
        let started = await eventually(timeout: .seconds(10)) { proxy.output.contains("listening ") }
        try #require(started, "the proxy did not start: \(proxy.output)")
        let lines = proxy.output.split(separator: "\n").map(String.init)
        let proxyPort = try #require(lines.first { $0.hasPrefix("listening ") }.flatMap { Int($0.dropFirst(10)) })
        let port = try LoopbackPorts.free(1)[0]
        try """
            <source>
              @type syslog
              port \(port)
              bind 127.0.0.1
              tag system
            </source>
            <match system.**>
              @type s3
              \(server.outputParameters(bucket: bucket))
              proxy_uri http://127.0.0.1:\(proxyPort)
              path logs/
              <format>
                @type json
              </format>
              <buffer time>
                @type file
                path \(directory)/buffer
                timekey 3600
                timekey_wait 3600
                flush_at_shutdown true
              </buffer>
            </match>

            """.write(toFile: directory + "/sluice.conf", atomically: true, encoding: .utf8)
        let sluice = try await SluiceRun(
            config: directory + "/sluice.conf", directory: directory, environment: ["AWS_EC2_METADATA_DISABLED": "true"], listeners: 1)
        defer { sluice.child.signal(SIGKILL) }
        try SyslogSender.sendUDP(port: port, [Array("<13>\(rfc3164Stamp(Date())) host app: through the proxy".utf8)])
        let received = try await RsyslogFieldTests.waitForReceived(sluice, count: 1)
        #expect(received)
        #expect(await sluice.stop() == 0, "\(sluice.child.output.suffix(2000))")

        let keys = try await offThePool { try server.listObjects(bucket: bucket, prefix: "logs/") }
        #expect(keys.count == 1, "\(keys)")
        // The requests went through the proxy, to the S3 server.
        let authority = "\(server.endpoint.host ?? ""):\(server.endpoint.port ?? 0)"
        let tunnels = proxy.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("CONNECT ") }
        #expect(!tunnels.isEmpty && tunnels.allSatisfy { $0 == "CONNECT \(authority)" }, "\(proxy.output)")
    }
}
