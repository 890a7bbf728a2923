/// A value the user wrote that cannot be used. `description` is the whole user-facing message
/// except the flag or file:line prefix, which the caller adds because only it knows the source.
package struct ConfigValueError: Error, Hashable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
