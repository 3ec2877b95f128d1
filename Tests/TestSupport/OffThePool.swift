import Foundation

/// Runs blocking work (starting a server, a boto3 subprocess) on a thread of its own, so it does
/// not hold one of the few threads of Swift's cooperative pool (two on a two-core machine) and
/// starve unrelated tests, whose timeouts would then measure the wait instead of themselves.
public func offThePool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
