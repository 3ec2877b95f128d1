import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization

/// HTTP to the local credential endpoints (EC2 instance metadata service, ECS agent): short
/// connect timeouts, a few retries, and the JSON credentials document both answer with.
enum MetadataHTTP {
    /// One client per connect timeout, kept for the life of the process like `HTTPClient.shared`:
    /// the connect timeout is a client setting in AsyncHTTPClient, and it is what makes a missing
    /// metadata service cost one second instead of ten.
    private static let clients = Mutex<[Int64: HTTPClient]>([:])

    static func client(connectTimeout: TimeAmount) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[connectTimeout.nanoseconds] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: connectTimeout)
            configuration.redirectConfiguration = .disallow
            configuration.proxy = nil  // metadata endpoints are link-local; a proxy cannot reach them
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[connectTimeout.nanoseconds] = client
            return client
        }
    }

    struct Response: Sendable {
        var status: Int
        var body: String
    }

    /// The request got no HTTP answer: nothing listens there, nothing answered in time, or the
    /// connection broke.
    struct NoAnswer: Error {
        var underlying: any Error
    }

    /// Sends a request, retrying `retries` times (100 ms, 200 ms, ... apart) when it gets no
    /// answer or a 5xx. `headers` may carry tokens: they never reach an error message.
    static func send(
        _ method: String,
        _ url: URL,
        headers: [(String, String)],
        client: HTTPClient,
        deadline: TimeAmount,
        retries: Int,
        logger: Logger
    ) async throws(NoAnswer) -> Response {
        var attempt = 0
        while true {
            do {
                var request = HTTPClientRequest(url: url.absoluteString)
                request.method = .init(rawValue: method)
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                let response = try await client.execute(request, timeout: deadline, logger: logger)
                let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
                let status = Int(response.status.code)
                if (500..<600).contains(status), attempt < retries {
                    attempt += 1
                    try? await Task.sleep(for: .milliseconds(100 << min(attempt - 1, 6)))
                    continue
                }
                return Response(status: status, body: body)
            } catch {
                guard attempt < retries, !(error is CancellationError) else {
                    throw NoAnswer(underlying: error)
                }
                attempt += 1
                try? await Task.sleep(for: .milliseconds(100 << min(attempt - 1, 6)))
            }
        }
    }

    /// `{"Code": "Success", "AccessKeyId": ..., "SecretAccessKey": ..., "Token": ..., "Expiration": ...}`.
    static func credentials(json: String, operation: String) throws -> AWSCredentials {
        struct Document: Decodable {
            var Code: String?
            var Message: String?
            var AccessKeyId: String?
            var SecretAccessKey: String?
            var Token: String?
            var Expiration: String?
        }
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(json.utf8)) else {
            throw S3Error(code: .invalidResponse, message: "\(operation): the answer is not a JSON credentials document")
        }
        if let code = document.Code, code != "Success" {
            throw S3Error(
                code: .invalidResponse,
                message: "\(operation): the credentials document says \(code)\(document.Message.map { ": \($0)" } ?? "")"
            )
        }
        guard let keyID = document.AccessKeyId, !keyID.isEmpty,
              let secret = document.SecretAccessKey, !secret.isEmpty
        else {
            throw S3Error(code: .invalidResponse, message: "\(operation): the credentials document has no AccessKeyId and SecretAccessKey")
        }
        var expiration: Date?
        if let text = document.Expiration {
            guard let date = AWSTimestamp.parseISO8601(text) else {
                throw S3Error(code: .invalidResponse, message: "\(operation): Expiration \"\(text)\" is not an ISO 8601 time")
            }
            expiration = date
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: document.Token, expiration: expiration)
    }
}
