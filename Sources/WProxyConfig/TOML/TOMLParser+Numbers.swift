/// Unquoted values: booleans, integers, floats and (via `+DateTime`) dates and times.
///
/// The value is first cut out as a token of the characters those forms use, then classified, so a
/// message can quote the whole token (`'0123'`) rather than stop at the first surprising byte.
/// Integers are 64-bit signed; anything outside that range is an error, never a wrap-around.
extension TOMLParser {
    mutating func parseScalarToken() throws(TOMLSyntaxError) -> TOMLValue {
        let start = index
        let valueLine = line
        var end = start
        while end < bytes.count, Self.isTokenByte(bytes[end]) { end += 1 }
        // `1979-05-27 07:32:00`: a date followed by a space and a time is one value.
        if end - start == 10, Self.isDate(bytes[start..<end]), end + 3 < bytes.count,
            bytes[end] == UInt8(ascii: " "), Self.isDigit(bytes[end + 1]), Self.isDigit(bytes[end + 2]),
            bytes[end + 3] == UInt8(ascii: ":") {
            end += 1
            while end < bytes.count, Self.isTokenByte(bytes[end]) { end += 1 }
        }
        guard end > start else {
            throw error("expected a value, found \(describeCharacter(at: start))", at: start)
        }
        let token = bytes[start..<end]
        let text = String(decoding: token, as: UTF8.self)
        index = end
        let kind: TOMLValue.Kind
        switch text {
        case "true": kind = .bool(true)
        case "false": kind = .bool(false)
        case "inf", "+inf": kind = .float(.infinity)
        case "-inf": kind = .float(-.infinity)
        case "nan", "+nan": kind = .float(.nan)
        case "-nan": kind = .float(-.nan)
        default:
            if token.contains(UInt8(ascii: ":")) || Self.startsLikeDate(token) {
                guard Self.isValidDateTime(token) else {
                    throw error(
                        "invalid date or time '\(Self.abbreviated(text))' "
                            + "(expected RFC 3339, such as 1979-05-27T07:32:00Z, 1979-05-27 or 07:32:00)",
                        at: start)
                }
                kind = .datetime(text)
            } else if let first = token.first, Self.isDigit(first) || "+-.".utf8.contains(first) {
                kind = try parseNumber(token, text: text)
            } else {
                throw error("invalid value '\(Self.abbreviated(text))' (strings must be quoted)", at: start)
            }
        }
        return TOMLValue(kind, line: valueLine)
    }

    private func parseNumber(_ token: ArraySlice<UInt8>, text: String) throws(TOMLSyntaxError) -> TOMLValue.Kind {
        let start = token.startIndex
        let shown = "'\(Self.abbreviated(text))'"
        if token.count > 2, token[start] == UInt8(ascii: "0"), let radix = Self.radix(prefix: token[start + 1]) {
            let digits = token.dropFirst(2)
            guard Self.isDigitGroups(digits, radix: radix) else {
                throw error("\(shown) is not a valid base-\(radix) integer", at: start)
            }
            guard let value = Self.accumulate(digits, radix: radix, negative: false) else {
                throw error("integer \(shown) does not fit in 64 bits", at: start)
            }
            return .integer(value)
        }
        var body = token
        let negative = token[start] == UInt8(ascii: "-")
        if negative || token[start] == UInt8(ascii: "+") { body = body.dropFirst() }
        let exponentIndex = body.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = body[..<(exponentIndex ?? body.endIndex)]
        let pointIndex = mantissa.firstIndex(of: UInt8(ascii: "."))
        let integerPart = mantissa[..<(pointIndex ?? mantissa.endIndex)]
        guard Self.isDigitGroups(integerPart, radix: 10) else {
            throw error("\(shown) is not a valid number", at: start)
        }
        if integerPart.first == UInt8(ascii: "0") && integerPart.count > 1 {
            throw error("leading zeros are not allowed in \(shown)", at: start)
        }
        guard exponentIndex != nil || pointIndex != nil else {
            guard let value = Self.accumulate(integerPart, radix: 10, negative: negative) else {
                throw error("integer \(shown) does not fit in 64 bits", at: start)
            }
            return .integer(value)
        }
        if let pointIndex, !Self.isDigitGroups(mantissa[(pointIndex + 1)...], radix: 10) {
            throw error("\(shown) is not a valid float (a '.' needs digits on both sides)", at: start)
        }
        if let exponentIndex {
            var exponent = body[(exponentIndex + 1)...]
            if exponent.first == UInt8(ascii: "+") || exponent.first == UInt8(ascii: "-") { exponent = exponent.dropFirst() }
            guard Self.isDigitGroups(exponent, radix: 10) else {
                throw error("\(shown) is not a valid float (bad exponent)", at: start)
            }
        }
        var plain = String(decoding: token.lazy.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        if plain.hasPrefix("+") { plain.removeFirst() }
        guard let value = Double(plain), value.isFinite else {
            throw error("float \(shown) is out of range", at: start)
        }
        return .float(value)
    }

    /// Digits of `radix` separated by single underscores, with at least one digit.
    private static func isDigitGroups(_ digits: ArraySlice<UInt8>, radix: Int) -> Bool {
        guard let first = digits.first, let last = digits.last,
            first != UInt8(ascii: "_"), last != UInt8(ascii: "_")
        else { return false }
        var previousWasUnderscore = false
        for byte in digits {
            if byte == UInt8(ascii: "_") {
                if previousWasUnderscore { return false }
                previousWasUnderscore = true
            } else {
                guard let value = hexDigitValue(byte), Int(value) < radix else { return false }
                previousWasUnderscore = false
            }
        }
        return true
    }

    /// The value of validated digit groups, or `nil` on overflow. Negative numbers accumulate
    /// downwards so that `Int64.min` is reachable.
    private static func accumulate(_ digits: ArraySlice<UInt8>, radix: Int, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for byte in digits where byte != UInt8(ascii: "_") {
            guard let digit = hexDigitValue(byte) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: Int64(radix))
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(Int64(digit)) : shifted.addingReportingOverflow(Int64(digit))
            if overflow || overflow2 { return nil }
            value = next
        }
        return value
    }

    private static func radix(prefix: UInt8) -> Int? {
        switch prefix {
        case UInt8(ascii: "x"): 16
        case UInt8(ascii: "o"): 8
        case UInt8(ascii: "b"): 2
        default: nil
        }
    }

    /// Characters that can appear in an unquoted value.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func abbreviated(_ text: String) -> String {
        text.count > 40 ? text.prefix(40) + "…" : text
    }
}
