/// Validation of the four RFC 3339 shapes TOML allows. Values are kept as written; only their
/// shape and field ranges are checked (month 01–12, day valid for the month and year, hour 00–23,
/// minute 00–59, second 00–60 for leap seconds, offset hour 00–23).
extension TOMLParser {
    /// `YYYY-MM-DD` with a valid day for that month.
    static func isDate(_ text: ArraySlice<UInt8>) -> Bool {
        guard text.count == 10, let year = number(text, at: 0, digits: 4),
            text[text.startIndex + 4] == UInt8(ascii: "-"), let month = number(text, at: 5, digits: 2),
            text[text.startIndex + 7] == UInt8(ascii: "-"), let day = number(text, at: 8, digits: 2),
            (1...12).contains(month)
        else { return false }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let daysInMonth = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...daysInMonth).contains(day)
    }

    /// Four digits and a dash: the token can only be a date, so it is judged as one.
    static func startsLikeDate(_ text: ArraySlice<UInt8>) -> Bool {
        text.count >= 5 && number(text, at: 0, digits: 4) != nil && text[text.startIndex + 4] == UInt8(ascii: "-")
    }

    /// Offset date-time, local date-time, local date or local time.
    static func isValidDateTime(_ text: ArraySlice<UInt8>) -> Bool {
        var rest = text
        let hasDate = rest.count >= 10 && isDate(rest.prefix(10))
        if hasDate {
            rest = rest.dropFirst(10)
            guard let delimiter = rest.first else { return true }
            guard delimiter == UInt8(ascii: "T") || delimiter == UInt8(ascii: "t") || delimiter == UInt8(ascii: " ")
            else { return false }
            rest = rest.dropFirst()
        }
        guard rest.count >= 8, let hour = number(rest, at: 0, digits: 2), rest[rest.startIndex + 2] == UInt8(ascii: ":"),
            let minute = number(rest, at: 3, digits: 2), rest[rest.startIndex + 5] == UInt8(ascii: ":"),
            let second = number(rest, at: 6, digits: 2), hour <= 23, minute <= 59, second <= 60
        else { return false }
        rest = rest.dropFirst(8)
        if rest.first == UInt8(ascii: ".") {
            let fraction = rest.dropFirst().prefix { isDigit($0) }
            guard !fraction.isEmpty else { return false }
            rest = rest.dropFirst(1 + fraction.count)
        }
        guard let offset = rest.first else { return true }
        guard hasDate else { return false }
        if offset == UInt8(ascii: "Z") || offset == UInt8(ascii: "z") { return rest.count == 1 }
        guard offset == UInt8(ascii: "+") || offset == UInt8(ascii: "-"), rest.count == 6,
            let offsetHour = number(rest, at: 1, digits: 2), rest[rest.startIndex + 3] == UInt8(ascii: ":"),
            let offsetMinute = number(rest, at: 4, digits: 2)
        else { return false }
        return offsetHour <= 23 && offsetMinute <= 59
    }

    /// The decimal number in `digits` bytes starting `offset` bytes into `text`, or `nil` when any
    /// of them is not a digit or the text is too short.
    private static func number(_ text: ArraySlice<UInt8>, at offset: Int, digits: Int) -> Int? {
        guard text.count >= offset + digits else { return nil }
        var value = 0
        for byte in text.dropFirst(offset).prefix(digits) {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
