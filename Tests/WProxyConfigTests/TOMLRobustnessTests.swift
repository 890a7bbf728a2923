import Testing
import WProxyConfig

/// Hostile and broken input: the parser must return a tree or throw, never trap or hang.
@Suite struct TOMLRobustnessTests {
    /// A document using every construct, for truncation and mutation.
    static let representative = """
        \u{FEFF}# comment ✓
        title = "TOML \\"Example\\" \\u00E9\\U0001F600"
        key."quoted.part".'lit' = 'literal'
        multi = \"\"\"
        line one \\
          continued ""\"\"\"
        raw = '''
        C:\\path'''
        ints = [+99, -17, 0, 1_000, 0xDEAD_beef, 0o755, 0b1101]
        floats = [3.14, -0.01, 5e+22, 6.626e-34, inf, -nan, 1_0.0_1]
        bools = [true, false]
        dates = [1979-05-27T07:32:00Z, 1979-05-27 00:32:00.999-07:00, 1979-05-27T07:32:00, 1979-05-27, 07:32:00.5]
        nested = [ [1, 2], ["a", { x = 1, y.z = [] }], ]  # trailing comma
        inline = { a = 1, b = { c = "d" } }

        [table.sub]
        a = 1\r
        [table]
        b = 2

        [[arr]]
        x = 1
          [arr.sub]
          y = 2
          [[arr.list]]
          z = 3
        [[arr]]
        """

    private static func parseOrThrow(_ text: String) {
        do {
            _ = try TOMLDocument(parsing: text, fileName: "fuzz.toml")
        } catch {
            let lines = text.utf8.count { $0 == UInt8(ascii: "\n") } + 1
            #expect(error.line >= 1 && error.line <= lines, "\(error)")
            #expect(error.column >= 1, "\(error)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func representativeDocumentParses() throws {
        let root = try TOMLDocument(parsing: Self.representative, fileName: "r.toml").root
        #expect(root["multi"]?.stringValue == "line one continued \"\"")
        #expect(root["raw"]?.stringValue == "C:\\path")
        #expect(root["table"]?.tableValue?.line == 18)
        #expect(root["arr"]?.arrayValue?.count == 2)
    }

    @Test func everyCharacterPrefix() {
        let characters = Array(Self.representative)
        for length in 0...characters.count {
            Self.parseOrThrow(String(characters.prefix(length)))
        }
    }

    @Test func everyBytePrefix() {
        let bytes = Array(Self.representative.utf8)
        for length in 0...bytes.count {
            Self.parseOrThrow(String(decoding: bytes.prefix(length), as: UTF8.self))
        }
    }

    @Test func everySingleByteMutation() {
        let bytes = Array(Self.representative.utf8)
        let replacements: [UInt8] = Array("\"'[]{}=,.#\\\n\r 0_+-:xeT".utf8) + [0x00, 0x7F, 0xFF]
        for position in bytes.indices {
            for replacement in replacements where replacement != bytes[position] {
                var mutated = bytes
                mutated[position] = replacement
                Self.parseOrThrow(String(decoding: mutated, as: UTF8.self))
            }
            var deleted = bytes
            deleted.remove(at: position)
            Self.parseOrThrow(String(decoding: deleted, as: UTF8.self))
        }
    }

    @Test func randomGarbage() {
        var generator = SplitMix64(seed: 0x5EED)
        let alphabet = Array("[]{}=\"'.,#\\\n\r\t azAZ09_-+:xobeEinfTZ".utf8)
        for _ in 0..<3000 {
            let length = Int(generator.next() % 120)
            let bytes = (0..<length).map { _ -> UInt8 in
                let roll = generator.next()
                return roll % 4 == 0 ? UInt8(truncatingIfNeeded: roll >> 8) : alphabet[Int(roll >> 8) % alphabet.count]
            }
            Self.parseOrThrow(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func nestingUpToTheLimitParses() throws {
        let limit = TOMLDocument.maxNestingDepth
        let arrays = "a = " + String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try TOMLDocument(parsing: arrays, fileName: "deep.toml").root["a"] != nil)
        let inline = "a = " + String(repeating: "{b = ", count: limit - 1) + "{}" + String(repeating: "}", count: limit - 1)
        #expect(try TOMLDocument(parsing: inline, fileName: "deep.toml").root["a"] != nil)
        let header = "[" + (1...limit).map { "k\($0)" }.joined(separator: ".") + "]"
        #expect(try TOMLDocument(parsing: header, fileName: "deep.toml").root["k1"] != nil)
    }

    @Test(arguments: [65, 1000, 100_000])
    func deeplyNestedArrayIsRejected(depth: Int) {
        let text = "\n\na = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        do {
            _ = try TOMLDocument(parsing: text, fileName: "deep.toml")
            Issue.record("accepted \(depth) nested arrays")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 5 + TOMLDocument.maxNestingDepth)
            #expect(error.message.contains("nested too deeply"))
        }
    }

    @Test(arguments: [
        "a = " + String(repeating: "{b = ", count: 100) + String(repeating: "}", count: 100),
        "a = " + String(repeating: "[{b = ", count: 50) + String(repeating: "}]", count: 50),
        "[" + (1...65).map { "k\($0)" }.joined(separator: ".") + "]",
        "[[" + (1...200).map { _ in "k" }.joined(separator: ".") + "]]",
        (1...66).map { "k\($0)" }.joined(separator: ".") + " = 1",
        "a = {" + (1...66).map { "k\($0)" }.joined(separator: ".") + " = 1}",
    ])
    func deepTablesAreRejected(text: String) {
        do {
            _ = try TOMLDocument(parsing: text, fileName: "deep.toml")
            Issue.record("accepted deep nesting")
        } catch {
            #expect(error.message.contains("nested too deeply"), "\(error)")
        }
    }

    @Test func longFlatDocumentParses() throws {
        let text = (0..<5000).map { "key\($0) = [\($0), \"v\($0)\", { n = \($0) }]" }.joined(separator: "\n")
        let root = try TOMLDocument(parsing: text, fileName: "big.toml").root
        #expect(root.count == 5000)
        #expect(root.keyLine("key4999") == 5000)
    }
}

/// A small deterministic generator, so failures reproduce.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
