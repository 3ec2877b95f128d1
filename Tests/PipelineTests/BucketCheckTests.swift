import AsyncHTTPClient
import Foundation
import Logging
@testable import Pipeline
import S3
import Spool
import Testing
import TestSupport

/// `check_bucket` and `auto_create_bucket` against SeaweedFS.
@Suite("Bucket check at start")
struct BucketCheckTests {
    static func output(bucket: String, autoCreate: Bool, logs: CapturedLogs) async throws -> (S3Output, S3TestServer) {
        let server = try await S3TestServer.shared(.seaweedFS)
        var settings = S3OutputTests.settings(directory: try temporaryDirectory())
        settings.checkBucket = true
        settings.autoCreateBucket = autoCreate
        settings.shutdownUploadTimeout = .seconds(1)
        let store = S3ObjectStore(
            configuration: .init(bucket: bucket, region: server.region, endpoint: server.endpoint, forcePathStyle: true),
            credentials: StaticCredentialProvider(accessKeyID: server.accessKeyID, secretAccessKey: server.secretAccessKey),
            httpClient: HTTPClient.shared
        )
        return (try await S3Output(settings: settings, store: store, logger: logs.logger), server)
    }

    @Test("auto_create_bucket creates a missing bucket, and the chunk lands in it")
    func createsTheBucket() async throws {
        let bucket = "sluice-created-\(UInt32.random(in: 0...UInt32.max))"
        let logs = CapturedLogs()
        let (output, server) = try await Self.output(bucket: bucket, autoCreate: true, logs: logs)
        try await S3OutputTests.run(output, [S3OutputTests.batch([#"{"n":1}"#])])
        #expect(logs.contains("created the bucket"))
        #expect(try await offThePool { try server.listObjects(bucket: bucket) } == ["syslog/2026112700_0.json"])
    }

    @Test("without auto_create_bucket a missing bucket is one clear error, and the chunk stays in the buffer")
    func missingBucketIsAnError() async throws {
        let bucket = "sluice-missing-\(UInt32.random(in: 0...UInt32.max))"
        let logs = CapturedLogs()
        let (output, _) = try await Self.output(bucket: bucket, autoCreate: false, logs: logs)
        let running = Task { await output.run() }
        try await output.records.send(S3OutputTests.batch([#"{"n":1}"#]))
        output.records.finish()
        // The upload is tried (and fails) before the output is told to stop.
        #expect(await eventually { logs.contains("NoSuchBucket") })
        output.beginShutdown()
        await running.value
        let errors = logs.messages(at: .error)
        #expect(errors.filter { $0.contains("the bucket does not exist (check_bucket)") }.count == 1, "\(errors)")
        #expect(errors.filter { $0.contains("NoSuchBucket") && $0.contains("auto_create_bucket") }.count == 1, "\(errors)")
        let buffer = try await PartitionBuffer(configuration: output.settings.spool, logger: CapturedLogs().logger)
        #expect(await buffer.statistics().sealedChunks == 1, "the chunk waits in the buffer")
    }
}
