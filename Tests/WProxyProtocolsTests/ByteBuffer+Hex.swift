import NIOCore

extension ByteBuffer {
    /// A buffer holding the bytes spelled by `hex`; whitespace is ignored. Test input only.
    init(hex: String) {
        self.init(bytes: [UInt8](hex: hex))
    }

    /// The readable bytes as lowercase hex.
    var hexString: String {
        self.readableBytesView.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

extension [UInt8] {
    /// The bytes spelled by `hex`; whitespace is ignored. Test input only: traps on bad hex.
    init(hex: String) {
        let digits = hex.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
        precondition(digits.count % 2 == 0, "odd number of hex digits")
        self = stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(digits[index...index + 1]), radix: 16) else {
                preconditionFailure("bad hex digits at \(index)")
            }
            return byte
        }
    }
}

/// A deterministic generator so that fuzz-style tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
