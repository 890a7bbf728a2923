import Testing

@testable import WProxyCore

/// The lookup half of `--user`; the drop itself changes the whole test process, so it is covered
/// by the integration tests that start the real binary (tests/integration/test_transparent.py).
@Suite struct PrivilegeDropTests {
    @Test func looksUpAnExistingUser() throws {
        let nobody = try PrivilegeDrop.lookup("nobody")
        #expect(nobody.name == "nobody")
        #expect(nobody.uid != 0)
    }

    @Test func numericUIDWithoutAName() throws {
        let nobody = try PrivilegeDrop.lookup("nobody")
        #expect(try PrivilegeDrop.lookup(String(nobody.uid)).uid == nobody.uid)
    }

    @Test func unknownUserHasAClearMessage() {
        #expect(throws: PrivilegeDropError("--user: no such user 'wproxy-no-such-user'")) {
            try PrivilegeDrop.lookup("wproxy-no-such-user")
        }
    }

    @Test func superuserIsRefused() {
        #expect(throws: PrivilegeDropError("--user: 'root' is the superuser (uid 0); name an unprivileged user")) {
            try PrivilegeDrop.lookup("root")
        }
    }
}
