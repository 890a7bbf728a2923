/// Where a listener binds. `host == nil` means every interface, IPv4 and IPv6
/// (`PORT` or `:PORT` on the command line).
package struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    package var host: String?
    package var port: Int

    package init(host: String?, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `PORT`, `:PORT`, `HOST:PORT` and `[V6]:PORT`. Port 0 asks the kernel for a free port.
    package init(parsing text: String) throws(ConfigValueError) {
        if let port = Int(text) {
            self.init(host: nil, port: try Self.checkedPort(port, in: text))
            return
        }
        if text.hasPrefix(":") {
            guard let port = Int(text.dropFirst()) else {
                throw ConfigValueError("'\(text)' is not a port: expected PORT, :PORT, HOST:PORT or [V6]:PORT")
            }
            self.init(host: nil, port: try Self.checkedPort(port, in: text))
            return
        }
        let hostPort = try HostPort(parsing: text, allowPortZero: true)
        self.init(host: hostPort.host, port: hostPort.port)
    }

    static func checkedPort(_ port: Int, in text: String) throws(ConfigValueError) -> Int {
        guard (0...65535).contains(port) else {
            throw ConfigValueError("port \(port) in '\(text)' is out of range 0-65535")
        }
        return port
    }

    /// True when the address is reachable only from this machine.
    package var isLoopback: Bool {
        guard let host else { return false }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    package var description: String {
        guard let host else { return ":\(port)" }
        return HostPort(host: host, port: port).description
    }
}
