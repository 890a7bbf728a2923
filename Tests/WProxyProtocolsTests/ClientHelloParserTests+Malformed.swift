import NIOCore
import Testing
import WProxyProtocols

/// ClientHellos whose record and handshake framing are fine but whose body is not.
extension ClientHelloParserTests {
    @Test func sessionIDLongerThan32Throws() {
        var builder = ClientHelloBuilder.withServerName("s.test")
        builder.sessionID = [UInt8](repeating: 1, count: 33)
        #expect(throws: ClientHelloError.malformedClientHello) { try self.peek(builder.record) }
    }

    @Test func oddOrEmptyCipherSuitesThrow() {
        var builder = ClientHelloBuilder.withServerName("s.test")
        builder.cipherSuites = [0x13, 0x01, 0x13]
        #expect(throws: ClientHelloError.malformedClientHello) { try self.peek(builder.record) }
        builder.cipherSuites = []
        #expect(throws: ClientHelloError.malformedClientHello) { try self.peek(builder.record) }
    }

    @Test func missingCompressionMethodsThrow() {
        var builder = ClientHelloBuilder.withServerName("s.test")
        builder.compressionMethods = []
        #expect(throws: ClientHelloError.malformedClientHello) { try self.peek(builder.record) }
    }

    @Test func bodyLengthOverflowingTheHandshakeThrows() {
        // A handshake length that ends inside the random: the body is too short for its fields.
        let body = ClientHelloBuilder.withServerName("s.test").body
        let handshake: [UInt8] = [0x01, 0x00, 0x00, 0x10] + body.prefix(16)
        #expect(throws: ClientHelloError.malformedClientHello) { try self.peek(ClientHelloBuilder.records(handshake)) }
    }

    @Test func extensionsLengthMismatchThrows() {
        var handshake = ClientHelloBuilder.withServerName("s.test").handshake
        handshake.append(0)  // one byte more than the extensions length says
        handshake[3] &+= 1
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(ClientHelloBuilder.records(handshake)) }
    }

    @Test func extensionOverflowingTheBlockThrows() {
        var builder = ClientHelloBuilder()
        builder.extensions = [(0x0010, [0x00])]
        var handshake = builder.handshake
        handshake[handshake.count - 2] = 0x05  // the extension claims 5 bytes, 1 is there
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(ClientHelloBuilder.records(handshake)) }
    }

    @Test func truncatedExtensionHeaderThrows() {
        var builder = ClientHelloBuilder()
        builder.extensions = []
        var handshake = builder.handshake + [0x00, 0x00]  // two bytes of a 4-byte extension header
        handshake[handshake.count - 4] = 0x00
        handshake[handshake.count - 3] = 0x02
        handshake[3] &+= 2
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(ClientHelloBuilder.records(handshake)) }
    }

    @Test func serverNameListLengthMismatchThrows() {
        var builder = ClientHelloBuilder()
        var data = ClientHelloBuilder.serverNameExtension([(0, Array("s.test".utf8))])
        data[1] &+= 1
        builder.extensions = [(0, data)]
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(builder.record) }
        builder.extensions = [(0, [0x00, 0x00])]  // empty list
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(builder.record) }
        builder.extensions = [(0, [0x00])]  // not even a list length
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(builder.record) }
    }

    @Test func hostNameOverflowingTheListThrows() {
        var builder = ClientHelloBuilder()
        var data = ClientHelloBuilder.serverNameExtension([(0, Array("s.test".utf8))])
        data[4] &+= 1  // the name length
        builder.extensions = [(0, data)]
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(builder.record) }
    }

    @Test func duplicateServerNameExtensionThrows() {
        var builder = ClientHelloBuilder.withServerName("a.test")
        builder.extensions?.append((0, ClientHelloBuilder.serverNameExtension([(0, Array("b.test".utf8))])))
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(builder.record) }
    }

    @Test func twoHostNamesThrow() {
        #expect(throws: ClientHelloError.malformedExtensions) {
            try self.peek(ClientHelloBuilder.withServerName("a.test", "b.test").record)
        }
    }

    @Test func emptyHostNameThrows() {
        var builder = ClientHelloBuilder()
        builder.extensions = [(0, ClientHelloBuilder.serverNameExtension([(0, [])]))]
        #expect(throws: ClientHelloError.malformedExtensions) { try self.peek(builder.record) }
    }

    @Test(arguments: [
        "exa mple.test", "example..test", ".example.test", "example.test..", "ex\u{e4}mple.test", "2001:db8::1",
        "a/b.test", "a\r\nb.test", "a\u{0}.test", "*.example.test", ".", String(repeating: "a", count: 64) + ".test",
    ])
    func implausibleHostNamesThrow(_ name: String) {
        #expect(throws: ClientHelloError.invalidServerName) { try self.peek(ClientHelloBuilder.withServerName(name).record) }
    }

    @Test func hostNamesUpTo255BytesAreAccepted() throws {
        let longest = Array(repeating: "abcdefg", count: 32).joined(separator: ".")
        #expect(longest.utf8.count == 255)
        #expect(try self.peek(ClientHelloBuilder.withServerName(longest).record) == .serverName(longest))
        #expect(throws: ClientHelloError.invalidServerName) {
            try self.peek(ClientHelloBuilder.withServerName(longest + "a").record)
        }
    }

    @Test func longestLabelIsAccepted() throws {
        let name = String(repeating: "a", count: 63) + ".test"
        #expect(try self.peek(ClientHelloBuilder.withServerName(name).record) == .serverName(name))
    }
}
