import AsyncHTTPClient
import NIOSSL
import SluiceConfig
import Testing

@testable import Pipeline

/// fluent-plugin-s3's parameters reach the requests: headers, key numbering, proxy and TLS trust.
struct OutputPlanningTests {
    static func s3(_ lines: String) throws -> S3OutputConfiguration {
        let text = "<match **>\n  @type s3\n  s3_bucket test-bucket\n\(lines)\n  <format>\n    @type json\n  </format>\n</match>\n"
        let configuration = try SluiceConfiguration.parse(text: text, file: "t.conf", environment: [:], hostname: "h")
        return try #require(configuration.firstS3Output)
    }

    @Test func metadataTaggingAndGrantsBecomeHeaders() throws {
        let s3 = try Self.s3(#"  s3_metadata {"owner":"soc","x-amz-meta-team":"blue"}"# + "\n  tagging classification=secret\n  grant_read id=abc")
        let headers = OutputPlanning.objectHeaders(for: s3)
        #expect(headers.contains { $0 == ("x-amz-meta-owner", "soc") })
        #expect(headers.contains { $0 == ("x-amz-meta-team", "blue") })
        #expect(headers.contains { $0 == ("x-amz-tagging", "classification=secret") })
        #expect(headers.contains { $0 == ("x-amz-grant-read", "id=abc") })
    }

    @Test(arguments: [("%d", 7, "7"), ("%03d", 7, "007"), ("%x", 255, "ff"), ("%04X", 255, "00FF")])
    func indexFormat(format: String, index: Int, expected: String) {
        #expect(ObjectKeyTemplate.formatIndex(index, format) == expected)
    }

    @Test func proxyAndTLSTrustGiveTheOutputItsOwnClient() throws {
        let plain = try Self.s3("")
        #expect(try OutputPlanning.httpConfiguration(for: plain) == nil)
        let proxied = try #require(try OutputPlanning.httpConfiguration(for: Self.s3("  proxy_uri http://user:pw@127.0.0.1:3128\n  ssl_verify_peer false")))
        #expect(proxied.proxy != nil)
        #expect(proxied.tlsConfiguration?.certificateVerification == CertificateVerification.none)
        #expect(throws: PipelineError.self) {
            try OutputPlanning.httpConfiguration(for: Self.s3("  ssl_ca_bundle /nonexistent/ca.pem"))
        }
    }
}

extension SluiceConfiguration {
    var firstS3Output: S3OutputConfiguration? {
        for match in matches { if case .s3(let s3) = match.output { return s3 } }
        return nil
    }
}
