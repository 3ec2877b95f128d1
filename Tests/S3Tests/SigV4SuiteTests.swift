import Crypto
import Foundation
@testable import S3
import Testing

/// One case of AWS's SigV4 test suite (aws-c-auth `tests/aws-signing-test-suite/v4`).
struct SigV4SuiteCase: CustomTestStringConvertible, Sendable {
    var name: String
    var method: String
    var url: URL
    var headers: [(String, String)]
    var body: [UInt8]
    var context: Context
    var expectedCanonicalRequest: String
    var expectedStringToSign: String
    var expectedSignature: String
    var expectedAuthorization: String

    struct Context: Decodable, Sendable {
        struct Credentials: Decodable, Sendable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var normalize: Bool
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
        var omit_session_token: Bool?
    }

    var testDescription: String { name }

    static func all() throws -> [SigV4SuiteCase] {
        let names = try FileManager.default.contentsOfDirectory(atPath: FixturePaths.sigV4Suite.path).sorted()
        return try names.map(load)
    }

    static func load(_ name: String) throws -> SigV4SuiteCase {
        let directory = FixturePaths.sigV4Suite.appendingPathComponent(name)
        func text(_ file: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        }
        let context = try JSONDecoder().decode(Context.self, from: Data(contentsOf: directory.appendingPathComponent("context.json")))

        // request.txt: request line, headers (continuation lines start with whitespace),
        // an empty line, the body.
        let request = try text("request.txt")
        let (head, body): (Substring, Substring) = {
            if let range = request.range(of: "\n\n") { return (request[..<range.lowerBound], request[range.upperBound...]) }
            return (Substring(request), "")
        }()
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // `GET /example space/ HTTP/1.1`: the target may itself contain spaces.
        let firstLine = lines.removeFirst()
        let methodEnd = firstLine.firstIndex(of: " ")!
        let versionStart = firstLine.range(of: " HTTP/", options: .backwards)!.lowerBound
        let requestLine = [firstLine[..<methodEnd], firstLine[firstLine.index(after: methodEnd)..<versionStart]]
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t" {
                headers[headers.count - 1].1 += "\n" + line
            } else {
                let colon = line.firstIndex(of: ":")!
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        let host = headers.first { $0.0.lowercased() == "host" }!.1
        // A client percent-encodes what may not appear in a URL (space, non-ASCII) and sends
        // the rest as written; the signer must canonicalise either form the same way.
        let target = String(requestLine[1]).utf8.map { byte -> String in
            byte <= 0x20 || byte >= 0x7f ? String(format: "%%%02X", byte) : String(UnicodeScalar(byte))
        }.joined()

        return SigV4SuiteCase(
            name: name,
            method: String(requestLine[0]),
            url: URL(string: "https://\(host)\(target)")!,
            headers: headers,
            body: Array(body.utf8),
            context: context,
            expectedCanonicalRequest: try text("header-canonical-request.txt"),
            expectedStringToSign: try text("header-string-to-sign.txt"),
            expectedSignature: try text("header-signature.txt"),
            expectedAuthorization: try text("header-signed-request.txt")
                .split(separator: "\n").first { $0.hasPrefix("Authorization:") }
                .map { String($0.dropFirst("Authorization:".count)) } ?? ""
        )
    }

    /// The signer as the case's context describes it.
    var signer: SigV4Signer {
        let token = context.omit_session_token == true ? nil : context.credentials.token
        var signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyID: context.credentials.access_key_id,
                secretAccessKey: context.credentials.secret_access_key,
                sessionToken: token
            ),
            region: context.region,
            service: context.service
        )
        signer.normalizesPath = context.normalize
        signer.signsPayloadHashHeader = context.sign_body
        return signer
    }

    var date: Date {
        AWSTimestamp.parseISO8601(context.timestamp)!
    }

    func sign(with signer: SigV4Signer) -> SigV4Signer.Signature {
        signer.sign(method: method, url: url, headers: headers, payloadSHA256: SigV4Encoding.sha256Hex(body), date: date)
    }
}

@Suite("SigV4 against AWS's published test suite")
struct SigV4SuiteTests {
    static let cases = (try? SigV4SuiteCase.all()) ?? []

    @Test("every v4 case is present and checked")
    func caseCount() throws {
        // All 38 header-signing cases apply: the `post-sts-header-after` case signs without
        // the token (it is added after signing), which is signing with token-less credentials.
        #expect(try SigV4SuiteCase.all().count == 38)
        #expect(Self.cases.count == 38)
    }

    @Test("canonical request, string to sign, signature", arguments: cases)
    func headerSigning(_ suiteCase: SigV4SuiteCase) {
        let signature = suiteCase.sign(with: suiteCase.signer)
        #expect(signature.canonicalRequest == suiteCase.expectedCanonicalRequest)
        #expect(signature.stringToSign == suiteCase.expectedStringToSign)
        #expect(signature.signature == suiteCase.expectedSignature)
        let authorization = signature.headers.first { $0.0 == "Authorization" }?.1
        #expect(authorization == suiteCase.expectedAuthorization)
    }

    /// S3 signs the path as sent: for the `*-normalized` cases with dot segments or repeated
    /// slashes an S3 signer must produce the canonical URI of the `*-unnormalized` twin.
    static let casesWhereS3Differs: Set<String> = [
        "get-relative-normalized",
        "get-relative-relative-normalized",
        "get-slash-dot-slash-normalized",
        "get-slash-normalized",
        "get-slash-pointless-dot-normalized",
        "get-slashes-normalized",
    ]

    @Test("S3 does not normalise paths: which cases differ and why")
    func s3PathSemantics() throws {
        var differing: Set<String> = []
        for suiteCase in Self.cases where suiteCase.context.normalize {
            var s3Signer = suiteCase.signer
            s3Signer.normalizesPath = false
            let s3URI = s3Signer.canonicalURI(suiteCase.url)
            let suiteURI = suiteCase.expectedCanonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[1]
            guard s3URI != suiteURI else { continue }
            differing.insert(suiteCase.name)
            // The unnormalised twin holds what S3 signs.
            let twinName = suiteCase.name.replacingOccurrences(of: "-normalized", with: "-unnormalized")
            let twin = try #require(Self.cases.first { $0.name == twinName })
            let twinURI = twin.expectedCanonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[1]
            #expect(s3URI == twinURI, "\(suiteCase.name)")
        }
        #expect(differing == Self.casesWhereS3Differs)
        // An S3 signer (service "s3") does not normalise by default, others do.
        #expect(SigV4Signer(credentials: .init(accessKeyID: "a", secretAccessKey: "b"), region: "r", service: "s3").normalizesPath == false)
        #expect(SigV4Signer(credentials: .init(accessKeyID: "a", secretAccessKey: "b"), region: "r", service: "sts").normalizesPath == true)
    }
}
