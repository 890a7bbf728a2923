import Synchronization

/// HTTP-01 key authorizations by token, for the `--redirect-http` listeners to answer at
/// `/.well-known/acme-challenge/TOKEN`. One per process: tokens are unguessable and short-lived.
package final class ACMEChallengeStore: Sendable {
    package static let shared = ACMEChallengeStore()

    private let tokens = Mutex<[String: String]>([:])

    package func set(_ token: String, _ keyAuthorization: String) {
        tokens.withLock { $0[token] = keyAuthorization }
    }

    package func remove(_ token: String) {
        tokens.withLock { _ = $0.removeValue(forKey: token) }
    }

    package func keyAuthorization(for token: String) -> String? {
        tokens.withLock { $0[token] }
    }
}
