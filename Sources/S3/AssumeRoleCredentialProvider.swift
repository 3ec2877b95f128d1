import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// Temporary credentials from STS AssumeRole, signed with the base provider's credentials.
///
/// The credentials are cached and refreshed five minutes before they expire. Concurrent
/// callers during a refresh wait for the same STS call. If a refresh fails while the old
/// credentials are still valid, the old ones are returned (and the next call tries again).
public actor AssumeRoleCredentialProvider: AWSCredentialProvider {
    /// How long before expiry the credentials are replaced.
    public static let refreshMargin: TimeInterval = 5 * 60

    private enum State {
        case empty
        case cached(AWSCredentials)
        case refreshing(Task<AWSCredentials, any Error>, stale: AWSCredentials?)
    }

    private struct Parameters: Sendable {
        var base: any AWSCredentialProvider
        var roleARN: String
        var sessionName: String
        var durationSeconds: Int
        var externalID: String?
        var stsEndpoint: URL
        var region: String
        var httpClient: HTTPClient
        var now: @Sendable () -> Date
    }

    private let parameters: Parameters
    private var state: State = .empty

    /// `now` is the clock for expiry decisions and request signing, injectable for tests.
    public init(
        base: any AWSCredentialProvider,
        roleARN: String,
        sessionName: String,
        durationSeconds: Int,
        externalID: String?,
        stsEndpoint: URL,
        region: String,
        httpClient: HTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.parameters = Parameters(
            base: base, roleARN: roleARN, sessionName: sessionName, durationSeconds: durationSeconds,
            externalID: externalID, stsEndpoint: stsEndpoint, region: region, httpClient: httpClient, now: now
        )
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        switch state {
        case .cached(let credentials) where !needsRefresh(credentials):
            return credentials
        case .cached(let credentials):
            return try await refresh(stale: credentials, logger: logger)
        case .empty:
            return try await refresh(stale: nil, logger: logger)
        case .refreshing(let task, let stale):
            return try await awaitRefresh(task, stale: stale, logger: logger)
        }
    }

    private func needsRefresh(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return true }
        return parameters.now() >= expiration.addingTimeInterval(-Self.refreshMargin)
    }

    private func refresh(stale: AWSCredentials?, logger: Logger) async throws -> AWSCredentials {
        let parameters = self.parameters
        let task = Task { try await Self.assumeRole(parameters, logger: logger) }
        state = .refreshing(task, stale: stale)
        return try await awaitRefresh(task, stale: stale, logger: logger)
    }

    private func awaitRefresh(
        _ task: Task<AWSCredentials, any Error>,
        stale: AWSCredentials?,
        logger: Logger
    ) async throws -> AWSCredentials {
        do {
            let credentials = try await task.value
            if case .refreshing(let current, _) = state, current == task {
                state = .cached(credentials)
                logger.info("assumed role", metadata: [
                    "aws.role_arn": "\(parameters.roleARN)",
                    "aws.access_key_id": "\(credentials.accessKeyID)",
                    "aws.expiration": "\(credentials.expiration.map { "\($0)" } ?? "-")",
                ])
            }
            return credentials
        } catch {
            if case .refreshing(let current, _) = state, current == task {
                state = stale.map { .cached($0) } ?? .empty
            }
            if let stale, let expiration = stale.expiration, parameters.now() < expiration {
                logger.warning("AssumeRole refresh failed; using the current credentials until they expire", metadata: [
                    "aws.role_arn": "\(parameters.roleARN)", "error": "\(error)",
                ])
                return stale
            }
            throw error
        }
    }

    // MARK: The STS call

    private static func assumeRole(_ parameters: Parameters, logger: Logger) async throws -> AWSCredentials {
        let operation = "AssumeRole \(parameters.roleARN) at \(parameters.stsEndpoint.absoluteString)"
        var form: [(String, String)] = [
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", parameters.roleARN),
            ("RoleSessionName", parameters.sessionName),
            ("DurationSeconds", String(parameters.durationSeconds)),
        ]
        if let externalID = parameters.externalID { form.append(("ExternalId", externalID)) }
        let body = form.map { "\(SigV4Encoding.uriEncode($0.0))=\(SigV4Encoding.uriEncode($0.1))" }.joined(separator: "&")

        var url = parameters.stsEndpoint
        if url.path(percentEncoded: true).isEmpty { url = URL(string: url.absoluteString + "/")! }
        let headers = [
            ("Host", SigV4Signer.hostHeader(for: url)),
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ]
        let baseCredentials = try await parameters.base.credentials(logger: logger)
        let signer = SigV4Signer(credentials: baseCredentials, region: parameters.region, service: "sts")
        let authHeaders = signer.signedHeaders(
            method: "POST", url: url, headers: headers,
            payloadSHA256: SigV4Encoding.sha256Hex(Array(body.utf8)), date: parameters.now()
        )

        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: "POST")
        for (name, value) in headers + authHeaders { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))

        let status: Int
        let text: String
        do {
            let response = try await parameters.httpClient.execute(request, timeout: .seconds(30), logger: logger)
            status = Int(response.status.code)
            text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch {
            throw S3ObjectStore.transportError(error, operation: operation, endpoint: parameters.stsEndpoint)
        }

        guard (200..<300).contains(status) else {
            var error = S3Error.fromResponse(
                operation: operation,
                permission: "sts:AssumeRole on \(parameters.roleARN) (and a trust policy that allows the base identity)",
                status: status, body: ErrorResponseBody(xml: text), requestID: nil
            )
            if error.code == .rejected { error.code = .assumeRoleFailed }
            throw error
        }
        guard let accessKeyID = XMLFields.firstValue(of: "AccessKeyId", in: text),
              let secret = XMLFields.firstValue(of: "SecretAccessKey", in: text),
              let token = XMLFields.firstValue(of: "SessionToken", in: text),
              let expirationText = XMLFields.firstValue(of: "Expiration", in: text),
              let expiration = parseISO8601(expirationText)
        else {
            throw S3Error(
                code: .invalidResponse,
                message: "\(operation): the response has no complete <Credentials> (AccessKeyId, SecretAccessKey, SessionToken, Expiration); check sts_endpoint_url",
                httpStatus: status
            )
        }
        return AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

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
