import Foundation
import Logging

/// Temporary credentials from a fetch (STS, the instance metadata service, the ECS agent),
/// cached and replaced five minutes before they expire.
///
/// Concurrent callers during a refresh wait for the same fetch. If a refresh fails while the
/// old credentials are still valid, the old ones are returned (and the next call tries again).
/// Credentials without an expiry are fetched again on every call.
actor RefreshingCredentials {
    /// How long before expiry the credentials are replaced.
    static let refreshMargin: TimeInterval = 5 * 60

    private enum State {
        case empty
        case cached(AWSCredentials)
        case refreshing(Task<AWSCredentials, any Error>, stale: AWSCredentials?)
    }

    /// What the credentials come from, for log lines: `AssumeRole arn:aws:iam::1:role/r`.
    private let source: String
    private let metadata: Logger.Metadata
    private let now: @Sendable () -> Date
    private let fetch: @Sendable (Logger) async throws -> AWSCredentials
    private var state: State = .empty

    init(
        source: String,
        metadata: Logger.Metadata = [:],
        now: @escaping @Sendable () -> Date,
        fetch: @escaping @Sendable (Logger) async throws -> AWSCredentials
    ) {
        self.source = source
        self.metadata = metadata
        self.now = now
        self.fetch = fetch
    }

    func credentials(logger: Logger) async throws -> AWSCredentials {
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
        return now() >= expiration.addingTimeInterval(-Self.refreshMargin)
    }

    private func refresh(stale: AWSCredentials?, logger: Logger) async throws -> AWSCredentials {
        let fetch = self.fetch
        let task = Task { try await fetch(logger) }
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
                logger.info("obtained temporary AWS credentials", metadata: metadata.merging([
                    "aws.credentials_source": "\(source)",
                    "aws.access_key_id": "\(credentials.accessKeyID)",
                    "aws.expiration": "\(credentials.expiration.map { "\($0)" } ?? "-")",
                ]) { $1 })
            }
            return credentials
        } catch {
            if case .refreshing(let current, _) = state, current == task {
                state = stale.map { .cached($0) } ?? .empty
            }
            if let stale, let expiration = stale.expiration, now() < expiration {
                logger.warning("refreshing AWS credentials failed; using the current ones until they expire", metadata: metadata.merging([
                    "aws.credentials_source": "\(source)", "error": "\(error)",
                ]) { $1 })
                return stale
            }
            throw error
        }
    }
}
