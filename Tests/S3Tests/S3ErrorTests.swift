@testable import S3
import Testing

@Suite("S3Error classification")
struct S3ErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var status: Int
        var awsCode: String?
        var code: S3Error.Code
        var retryable: Bool
        var advice: String
        var testDescription: String { "\(status) \(awsCode ?? "-")" }
    }

    static let cases: [Case] = [
        .init(status: 403, awsCode: "AccessDenied", code: .accessDenied, retryable: false, advice: "s3:PutObject"),
        .init(status: 403, awsCode: "SignatureDoesNotMatch", code: .signatureMismatch, retryable: false, advice: "aws_sec_key"),
        .init(status: 403, awsCode: "InvalidAccessKeyId", code: .invalidCredentials, retryable: false, advice: "aws_key_id"),
        .init(status: 400, awsCode: "ExpiredToken", code: .expiredCredentials, retryable: true, advice: "expired"),
        .init(status: 403, awsCode: "RequestTimeTooSkewed", code: .clockSkew, retryable: true, advice: "clock"),
        .init(status: 404, awsCode: "NoSuchBucket", code: .noSuchBucket, retryable: false, advice: "s3_bucket"),
        .init(status: 400, awsCode: "AuthorizationHeaderMalformed", code: .wrongRegion, retryable: false, advice: "s3_region"),
        .init(status: 301, awsCode: "PermanentRedirect", code: .wrongRegion, retryable: false, advice: "s3_region"),
        .init(status: 503, awsCode: "SlowDown", code: .throttled, retryable: true, advice: "slow down"),
        .init(status: 400, awsCode: "ThrottlingException", code: .throttled, retryable: true, advice: "slow down"),
        .init(status: 400, awsCode: "RequestTimeout", code: .requestTimeout, retryable: true, advice: "timed out"),
        .init(status: 500, awsCode: "InternalError", code: .serverError, retryable: true, advice: "server error"),
        .init(status: 502, awsCode: nil, code: .serverError, retryable: true, advice: "server error"),
        .init(status: 429, awsCode: nil, code: .throttled, retryable: true, advice: "slow down"),
        .init(status: 403, awsCode: nil, code: .accessDenied, retryable: false, advice: "s3:PutObject"),
        .init(status: 400, awsCode: "InvalidArgument", code: .rejected, retryable: false, advice: "rejected"),
    ]

    @Test("S3 XML error bodies", arguments: cases)
    func classify(_ errorCase: Case) {
        let xml = errorCase.awsCode.map {
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>\($0)</Code><Message>Details &amp; more</Message><BucketName>logs</BucketName><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """
        }
        let error = S3Error.fromResponse(
            operation: "PutObject s3://logs/a.json", permission: "s3:PutObject", status: errorCase.status,
            body: xml.flatMap(ErrorResponseBody.init(xml:)), requestID: "header-id"
        )
        #expect(error.code == errorCase.code)
        #expect(error.isRetryable == errorCase.retryable)
        #expect(error.awsCode == errorCase.awsCode)
        #expect(error.httpStatus == errorCase.status)
        #expect(error.description.contains(errorCase.advice))
        #expect(error.description.contains("s3://logs/a.json"))
        if xml != nil {
            #expect(error.requestID == "4442587FB7D0A2F9")
            #expect(error.message.contains("Details & more"))
        } else {
            #expect(error.requestID == "header-id")
        }
    }

    @Test("STS error responses")
    func stsError() throws {
        let xml = """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::1:user/x is not authorized to perform: sts:AssumeRole</Message></Error>
              <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
            </ErrorResponse>
            """
        let body = try #require(ErrorResponseBody(xml: xml))
        #expect(body.code == "AccessDenied")
        #expect(body.requestID == "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
        #expect(body.message?.contains("sts:AssumeRole") == true)
    }

    @Test("tolerant XML field reader", arguments: [
        ("<a><Code>X</Code></a>", "Code", "X" as String?),
        ("<a><CodeName>Y</CodeName><Code>X</Code></a>", "Code", "X"),
        ("<a><Code attr=\"1\">X&lt;&#65;&#x42;&gt;</Code></a>", "Code", "X<AB>"),
        ("<a><Code/></a>", "Code", ""),
        ("<a><Code>unterminated", "Code", nil),
        ("<a></a>", "Code", nil),
    ])
    func xmlFields(_ xml: String, _ element: String, _ expected: String?) {
        #expect(XMLFields.firstValue(of: element, in: xml) == expected)
    }
}
