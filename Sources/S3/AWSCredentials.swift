import Foundation
import Logging

/// An access key pair, optionally temporary (STS) with a session token and an expiry.
///
/// `description` never shows the secret or the token, so credentials can be logged or
/// interpolated into errors without leaking them.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    public var description: String {
        var text = "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>"
        if sessionToken != nil { text += ", sessionToken: <redacted>" }
        if let expiration { text += ", expiration: \(expiration)" }
        return text + ")"
    }
}

/// A source of credentials. Providers that are simply not configured throw an `S3Error` with
/// code `.credentialsNotFound`, which lets a `CredentialChain` move on to the next provider;
/// any other error stops the chain, because a configured source that fails is a real problem.
public protocol AWSCredentialProvider: Sendable {
    func credentials(logger: Logger) async throws -> AWSCredentials
}
