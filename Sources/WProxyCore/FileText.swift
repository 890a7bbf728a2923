#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads small text files (config, credentials) without Foundation. Not for the event loops.
package enum FileText {
    package static let maxBytes = 16 << 20

    package static func read(_ path: String) throws(FileTextError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileTextError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileTextError(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > maxBytes { throw FileTextError(path: path, reason: "larger than 16 MiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FileTextError(path: path, reason: "not valid UTF-8")
        }
        return text
    }
}

package struct FileTextError: Error, CustomStringConvertible {
    package let path: String
    package let reason: String
    package var description: String { "cannot read \(path): \(reason)" }
}
