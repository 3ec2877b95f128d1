import Foundation
@testable import S3
import Testing

/// Written by Scripts/sigv4-botocore-vectors.py.
struct BotocoreVectors: Decodable, Sendable {
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        struct Expected: Decodable, Sendable {
            var authorization: String
            var xAmzDate: String
            var xAmzContentSha256: String
            var xAmzSecurityToken: String?
            var canonicalRequest: String
            var stringToSign: String

            enum CodingKeys: String, CodingKey {
                case authorization
                case xAmzDate = "x-amz-date"
                case xAmzContentSha256 = "x-amz-content-sha256"
                case xAmzSecurityToken = "x-amz-security-token"
                case canonicalRequest = "canonical_request"
                case stringToSign = "string_to_sign"
            }
        }

        var name: String
        var method: String
        var endpoint: String
        var bucket: String
        var key: String
        var path_style: Bool
        var region: String
        var query: String
        var url: String
        var headers: [[String]]
        var payload_sha256: String
        var session_token: String?
        var expected: Expected

        var testDescription: String { name }
    }

    var access_key_id: String
    var secret_access_key: String
    var date: String
    var vectors: [Vector]

    static func load() throws -> BotocoreVectors {
        try JSONDecoder().decode(BotocoreVectors.self, from: Data(contentsOf: FixturePaths.botocoreVectors))
    }
}

@Suite("SigV4 against botocore")
struct BotocoreVectorTests {
    static let document = try? BotocoreVectors.load()
    static let vectors = document?.vectors ?? []

    @Test("the fixture is present with all vectors")
    func vectorCount() throws {
        let document = try BotocoreVectors.load()
        #expect(document.vectors.count == 9)
    }

    @Test("Sluice builds the same URL and Authorization header as botocore", arguments: vectors)
    func sameSignature(_ vector: BotocoreVectors.Vector) throws {
        let document = try #require(Self.document)
        let addressing = S3Addressing(endpoint: URL(string: vector.endpoint)!, bucket: vector.bucket, forcePathStyle: vector.path_style)
        let objectURL = addressing.url(forKey: vector.key)
        let url = try #require(URL(string: objectURL.absoluteString + (vector.query.isEmpty ? "" : "?" + vector.query)))
        #expect(url.absoluteString == vector.url)

        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyID: document.access_key_id,
                secretAccessKey: document.secret_access_key,
                sessionToken: vector.session_token
            ),
            region: vector.region,
            service: "s3"
        )
        let date = try #require(AWSTimestamp.parseISO8601(document.date))
        let signature = signer.sign(
            method: vector.method, url: url,
            headers: vector.headers.map { ($0[0], $0[1]) },
            payloadSHA256: vector.payload_sha256, date: date
        )
        let headers = Dictionary(signature.headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { first, _ in first })
        #expect(signature.canonicalRequest == vector.expected.canonicalRequest)
        #expect(signature.stringToSign == vector.expected.stringToSign)
        #expect(headers["authorization"] == vector.expected.authorization)
        #expect(headers["x-amz-date"] == vector.expected.xAmzDate)
        #expect(headers["x-amz-content-sha256"] == vector.expected.xAmzContentSha256)
        #expect(headers["x-amz-security-token"] == vector.expected.xAmzSecurityToken)
    }
}
