import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// One STS Query API call that answers with `<Credentials>`: AssumeRole (signed with the base
/// identity) and AssumeRoleWithWebIdentity (unsigned: the token is the proof).
struct STSQuery: Sendable {
    var action: String
    /// The form fields after `Action` and `Version`; secrets among them never reach a message.
    var fields: [(String, String)]
    var endpoint: URL
    /// What was attempted, for messages: `AssumeRole arn:aws:iam::1:role/r at https://sts...`.
    var operation: String
    /// The permission an AccessDenied answer means is missing.
    var permission: String

    /// Sends the call, signed for `region` when `signingCredentials` are given.
    func credentials(
        signingCredentials: AWSCredentials?,
        region: String,
        httpClient: HTTPClient,
        date: Date,
        logger: Logger
    ) async throws -> AWSCredentials {
        let form = [("Action", action), ("Version", "2011-06-15")] + fields
        let body = form.map { "\(SigV4Encoding.uriEncode($0.0))=\(SigV4Encoding.uriEncode($0.1))" }.joined(separator: "&")

        var url = endpoint
        if url.path(percentEncoded: true).isEmpty { url = URL(string: url.absoluteString + "/")! }
        var headers = [
            ("Host", SigV4Signer.hostHeader(for: url)),
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ]
        if let signingCredentials {
            let signer = SigV4Signer(credentials: signingCredentials, region: region, service: "sts")
            headers += signer.signedHeaders(
                method: "POST", url: url, headers: headers,
                payloadSHA256: SigV4Encoding.sha256Hex(Array(body.utf8)), date: date
            )
        }

        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))

        let status: Int
        let text: String
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(30), logger: logger)
            status = Int(response.status.code)
            text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch {
            throw S3ObjectStore.transportError(error, operation: operation, endpoint: endpoint)
        }

        guard (200..<300).contains(status) else {
            var error = S3Error.fromResponse(
                operation: operation, permission: permission,
                status: status, body: ErrorResponseBody(xml: text), requestID: nil
            )
            if error.code == .rejected { error.code = .assumeRoleFailed }
            throw error
        }
        guard let accessKeyID = XMLFields.firstValue(of: "AccessKeyId", in: text),
              let secret = XMLFields.firstValue(of: "SecretAccessKey", in: text),
              let token = XMLFields.firstValue(of: "SessionToken", in: text),
              let expirationText = XMLFields.firstValue(of: "Expiration", in: text),
              let expiration = AWSTimestamp.parseISO8601(expirationText)
        else {
            throw S3Error(
                code: .invalidResponse,
                message: "\(operation): the response has no complete <Credentials> (AccessKeyId, SecretAccessKey, SessionToken, Expiration); check sts_endpoint_url",
                httpStatus: status
            )
        }
        return AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }
}

/// Timestamps in the answers of STS, the instance metadata service and the ECS agent.
enum AWSTimestamp {
    /// `2011-07-15T23:28:33.359Z`, with or without fractional seconds, `Z` or `±hh:mm`.
    static func parseISO8601(_ text: String) -> Date? {
        let scanner = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= scanner.count else { return nil }
            var value = 0
            for byte in scanner[start..<start + length] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard scanner.count >= 19,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < scanner.count, scanner[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < scanner.count, let digit = number(index, 1) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < scanner.count, scanner[index] == UInt8(ascii: "+") || scanner[index] == UInt8(ascii: "-") {
            guard let hours = number(index + 1, 2), let minutes = number(index + 4, 2) else { return nil }
            offset = (hours * 3600 + minutes * 60) * (scanner[index] == UInt8(ascii: "-") ? -1 : 1)
        }
        // Days from civil (Howard Hinnant).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
