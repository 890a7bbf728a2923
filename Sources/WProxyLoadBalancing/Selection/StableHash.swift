/// A 64-bit hash that is the same in every process and on every machine.
///
/// Swift's `Hasher` is seeded per process, so it cannot place ring points: two wproxy instances (or
/// one instance before and after a restart) must send a key to the same backend. This is FNV-1a
/// over the bytes, finished with the MurmurHash3 `fmix64` avalanche step because plain FNV-1a
/// leaves similar inputs (`"a#1"`, `"a#2"`) close together on the ring.
enum StableHash {
    private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var state = offsetBasis
        for byte in bytes {
            state = (state ^ UInt64(byte)) &* prime
        }
        return mix(state)
    }

    static func hash(_ string: String) -> UInt64 {
        hash(string.utf8)
    }

    /// The point of replica `replica` of the backend identified by `identity`.
    static func hash(_ identity: String, replica: Int) -> UInt64 {
        var state = offsetBasis
        for byte in identity.utf8 {
            state = (state ^ UInt64(byte)) &* prime
        }
        // A separator that cannot appear in UTF-8 keeps "a1"+replica 0 apart from "a"+replica 1.
        state = (state ^ 0xff) &* prime
        var value = UInt32(truncatingIfNeeded: replica)
        for _ in 0..<4 {
            state = (state ^ UInt64(value & 0xff)) &* prime
            value >>= 8
        }
        return mix(state)
    }

    /// MurmurHash3's 64-bit finaliser: every input bit affects every output bit.
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }
}
