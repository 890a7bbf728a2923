import NIOCore
import Testing

@testable import WProxyProtocols

@Suite struct SOCKS5UDPDatagramTests {
    private let header: [UInt8] = [0, 0, 0, 1, 8, 8, 8, 8, 0, 53]
    private let payload: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]

    @Test func roundTrip() throws {
        let datagram = SOCKS5UDPDatagram(
            target: SOCKSTarget(host: .ipv4(0x0808_0808), port: 53),
            payload: ByteBuffer(bytes: self.payload)
        )
        var buffer = ByteBuffer()
        #expect(buffer.writeSOCKS5UDPDatagram(datagram) == self.header.count + self.payload.count)
        #expect(buffer.bytes == self.header + self.payload)
        #expect(datagram.payload.readableBytes == 4, "writing does not consume the payload")
        #expect(try buffer.readSOCKS5UDPDatagram() == datagram)
        #expect(buffer.readableBytes == 0)
    }

    @Test func domainTargetFragmentAndEmptyPayload() throws {
        let datagram = SOCKS5UDPDatagram(
            fragment: 3,
            target: SOCKSTarget(host: .domain("dns.example"), port: 5353),
            payload: ByteBuffer()
        )
        var buffer = ByteBuffer()
        buffer.writeSOCKS5UDPDatagram(datagram)
        #expect(buffer.bytes == [0, 0, 3, 3, 11] + Array("dns.example".utf8) + [0x14, 0xE9])
        #expect(try buffer.readSOCKS5UDPDatagram() == datagram)
    }

    @Test func everythingAfterTheHeaderIsPayload() throws {
        var buffer = bufferWithPrefix(self.header + self.payload)
        let datagram = try #require(try buffer.readSOCKS5UDPDatagram())
        #expect(datagram.payload.bytes == self.payload)
        #expect(datagram.fragment == 0)
    }

    @Test func reservedBytesAreIgnored() throws {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF] + self.header.dropFirst(2) + self.payload)
        #expect(try buffer.readSOCKS5UDPDatagram()?.target == SOCKSTarget(host: .ipv4(0x0808_0808), port: 53))
    }

    @Test func truncatedHeaderIsNilAndUntouched() throws {
        for length in 0..<self.header.count {
            var buffer = bufferWithPrefix(Array(self.header.prefix(length)))
            let before = buffer
            #expect(try buffer.readSOCKS5UDPDatagram() == nil, "length \(length)")
            #expect(buffer == before)
        }
    }

    @Test func garbage() {
        let read: (inout ByteBuffer) throws -> SOCKS5UDPDatagram? = { try $0.readSOCKS5UDPDatagram() }
        checkRejects([0, 0, 0, 9, 1, 2, 3, 4, 0, 1, 0xAA], .unsupportedAddressType(9), read: read)
        checkRejects([0, 0, 0, 3, 0, 0, 1], .emptyDomain, read: read)
    }
}
