import NIOHTTP1
import WProxyConfig
import WProxyHTTP
import WProxyLoadBalancing

/// Reads the `--hash-key` value out of a request. A missing value is ``SelectionKey/none``, which
/// makes `hash` fall back to round-robin for that request.
enum HashKeyExtractor {
    static func key(_ hashKey: HashKey, head: RawRequestHead) -> SelectionKey {
        key(hashKey, uri: head.uri, values: head.values)
    }

    static func key(_ hashKey: HashKey, head: HTTPRequestHead) -> SelectionKey {
        key(hashKey, uri: head.uri, values: { head.headers[$0] })
    }

    static func key(_ hashKey: HashKey, uri: String, values: (String) -> [String]) -> SelectionKey {
        switch hashKey {
        case .header(let name):
            let found = values(name)
            guard !found.isEmpty else { return .none }
            return .key(found.joined(separator: ","))
        case .cookie(let name):
            for header in values("cookie") {
                for pair in header.split(separator: ";") {
                    let trimmed = pair.drop { $0 == " " }
                    guard let equals = trimmed.firstIndex(of: "=") else { continue }
                    if trimmed[..<equals] == name {
                        let value = trimmed[trimmed.index(after: equals)...]
                        return value.isEmpty ? .none : .key(String(value))
                    }
                }
            }
            return .none
        case .query(let name):
            guard let question = uri.firstIndex(of: "?") else { return .none }
            var query = uri[uri.index(after: question)...]
            if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if parts[0] == name {
                    let value = parts.count > 1 ? parts[1] : ""
                    return value.isEmpty ? .none : .key(String(value))
                }
            }
            return .none
        case .path:
            let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return .key(String(path))
        }
    }
}
