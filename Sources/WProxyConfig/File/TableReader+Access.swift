extension TableReader {
    /// `auth = ["user:pass", ...]` or `auth = [{ user = "alice", password = "secret" }, ...]`,
    /// plus `auth_file = "path"` with `user:password` lines.
    mutating func credentials() -> [Credential] {
        var credentials: [Credential] = []
        if let value = raw("auth") {
            let elements = value.arrayValue ?? [value]
            for element in elements {
                do {
                    if let text = element.stringValue {
                        credentials.append(try Credential(parsing: text))
                    } else if let table = element.tableValue {
                        guard let user = table["user"]?.stringValue, let password = table["password"]?.stringValue else {
                            issues.add(line: element.line, "\(path).auth: expected { user = \"...\", password = \"...\" }")
                            continue
                        }
                        for key in table.keys where key != "user" && key != "password" {
                            issues.add(line: table.keyLine(key) ?? element.line, "\(path).auth.\(key): unknown key")
                        }
                        credentials.append(try Credential(user: user, password: password))
                    } else {
                        issues.add(line: element.line, "\(path).auth: expected \"user:password\" strings or { user, password } tables, got \(element.typeName)")
                    }
                } catch {
                    issues.add(line: element.line, "\(path).auth: \(error.description)")
                }
            }
        }
        if let file = string("auth_file") {
            do {
                credentials += try Credential.load(file: file)
            } catch {
                fail("auth_file", error.description)
            }
        }
        return credentials
    }

    /// `allow = ["CIDR", ...]` and `deny_dest = ["CIDR or HOST", ...]`.
    mutating func accessRules() -> (allow: [CIDR], denyDest: [DestinationRule]) {
        (parsedList("allow", CIDR.init(parsing:)) ?? [], parsedList("deny_dest", DestinationRule.init(parsing:)) ?? [])
    }
}
