import Foundation
import WProxyConfig
import WProxyTLS

/// `--acme-storage`: `DIR/<directory host>/account.key` and `DIR/<directory host>/<first domain>/{cert,key}.pem`.
/// Directories are created 0700 and key files written 0600, atomically (write, then rename).
struct ACMEStorage: Sendable {
    let root: String
    let directoryFolder: String
    let certificateFolder: String

    init(options: ACMEOptions) {
        root = options.storage
        directoryFolder = root + "/" + Self.folderName(forDirectory: options.directory)
        certificateFolder = directoryFolder + "/" + Self.safe(options.domains.first ?? "default")
    }

    var accountKeyPath: String { directoryFolder + "/account.key" }
    var certificatePath: String { certificateFolder + "/cert.pem" }
    var keyPath: String { certificateFolder + "/key.pem" }

    func prepare() throws(TLSSetupError) {
        for folder in [root, directoryFolder, certificateFolder] {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw TLSSetupError("acme: cannot create storage directory \(folder): \(error.localizedDescription)")
            }
            guard chmod(folder, 0o700) == 0 else {
                throw TLSSetupError("acme: cannot set permissions on \(folder): \(String(cString: strerror(errno)))")
            }
        }
    }

    func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `text` to `path` with mode 0600 through a temporary file and a rename.
    func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ACMEError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == bytes.count else { throw ACMEError("short write to \(temporary)") }
        _ = chmod(temporary, 0o600)
        guard rename(temporary, path) == 0 else { throw ACMEError("cannot rename \(temporary): \(String(cString: strerror(errno)))") }
    }

    static func folderName(forDirectory url: String) -> String {
        var rest = Substring(url)
        if let range = rest.range(of: "://") { rest = rest[range.upperBound...] }
        return safe(String(rest.prefix { $0 != "/" }))
    }

    static func safe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
    }
}
