/// A TLS configuration problem the user must fix (bad certificate file, key mismatch...).
package struct TLSSetupError: Error, CustomStringConvertible, Hashable {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
