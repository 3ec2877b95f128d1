import Testing

@testable import SluiceConfig

/// Matching as Fluentd's GlobMatchPattern, including the cases of Fluentd's own test_match.rb.
@Suite struct TagPatternTests {
    static let matching: [(String, String)] = [
        ("a", "a"),
        ("a.b", "a.b"),
        ("a.*", "a.b"),
        ("a.*", "a."),
        ("*", "a"),
        ("a.*.c", "a.b.c"),
        ("a.**", "a"),
        ("a.**", "a.b"),
        ("a.**", "a.b.c"),
        ("**", ""),
        ("**", "a"),
        ("**", "a.b.c"),
        ("**.c", "c"),
        ("**.c", "a.c"),
        ("**.c", "a.b.c"),
        ("a.**.c", "a.c"),
        ("a.**.c", "a.b.c"),
        ("a.**.c", "a.b.d.c"),
        ("{a,b}", "a"),
        ("{a,b}", "b"),
        ("{a,b}.c", "a.c"),
        ("{a,b}.c", "b.c"),
        ("a.{b,c}", "a.b"),
        ("{a.*,b}", "a.x"),
        ("{a.**,b}", "a"),
        ("a.{b.**,c}", "a.b.d"),
        ("a.b*", "a.bcd"),
        ("a\\*", "a*"),
        ("system.**", "system.daemon.info"),
        ("system.**", "system"),
    ]

    static let notMatching: [(String, String)] = [
        ("a", "b"),
        ("a", "ab"),
        ("a.b", "a.bc"),
        ("a.*", "a"),
        ("a.*", "a.b.c"),
        ("*", "a.b"),
        ("a.*.c", "a.c"),
        ("a.*.c", "a.b.d.c"),
        ("a.**", "ab"),
        ("a.**", "b.a"),
        ("**.c", "ac"),
        ("a.**.c", "a.bc"),
        ("{a,b}", "c"),
        ("{a,b}", "ab"),
        ("{a,b}.c", "c.c"),
        ("{a,b}.c", "a.d"),
        ("a\\*", "ab"),
        ("system.**", "systemd.daemon.info"),
    ]

    @Test(arguments: matching)
    func matches(pattern: String, tag: String) throws {
        #expect(try TagPattern(pattern).matches(tag))
    }

    @Test(arguments: notMatching)
    func doesNotMatch(pattern: String, tag: String) throws {
        #expect(try !TagPattern(pattern).matches(tag))
    }

    @Test(arguments: ["", "{a,b", "a b", "/a.*/", "a\\"])
    func rejected(pattern: String) {
        #expect(throws: TagPattern.Error.self) { try TagPattern(pattern) }
    }

    @Test func onlyDoubleStarMatchesEverything() throws {
        #expect(try TagPattern("**").matchesEverything)
        #expect(try !TagPattern("a.**").matchesEverything)
        #expect(try !TagPattern("*").matchesEverything)
    }

    @Test(arguments: [
        ("a.b", 0), ("x.y", 0), ("c.d", 1), ("c", 1), ("other", 2), ("zzz", 2),
    ])
    func routesToTheFirstMatchInFileOrder(tag: String, index: Int) throws {
        let configuration = try Support.parse(
            """
            <match a.** x.*>
              @type null
            </match>
            <match c.** a.b>
              @type stdout
            </match>
            <match>
              @type null
            </match>
            """
        )
        #expect(configuration.matches[0].patterns.map(\.pattern) == ["a.**", "x.*"])
        #expect(configuration.matches[2].patterns.map(\.pattern) == ["**"])
        #expect(configuration.route(tag: tag) == index)
    }

    @Test func noMatchRoutesNowhere() throws {
        let configuration = try Support.parse("<match a.**>\n  @type null\n</match>\n")
        #expect(configuration.route(tag: "b") == nil)
    }
}
