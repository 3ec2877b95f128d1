import Testing

@testable import SluiceConfig

/// The reader: sections, parameters, quoting, comments, embedded code.
@Suite struct ReaderSyntaxTests {
    struct ValueCase: Sendable, CustomTestStringConvertible {
        var line: String
        var value: String
        var testDescription: String { line }
    }

    static let values: [ValueCase] = [
        .init(line: ##"key value"##, value: "value"),
        .init(line: "key    spaced out value   ", value: "spaced out value"),
        .init(line: "key\tvalue\t", value: "value"),
        .init(line: "key 3600 # 1 hour partition", value: "3600"),
        .init(line: "key true # use utc", value: "true"),
        .init(line: "key a#b", value: "a#b"),
        .init(line: "key #only a comment", value: ""),
        .init(line: "key", value: ""),
        .init(line: "key value\r", value: "value"),
        .init(line: ##"key "quoted # not a comment""##, value: "quoted # not a comment"),
        .init(line: ##"key "quoted" # a comment"##, value: "quoted"),
        .init(line: ##"key 'single # not a comment'"##, value: "single # not a comment"),
        .init(line: ##"key "tab\there""##, value: "tab\there"),
        .init(line: ##"key "a\nb\r\\c\"d\'e\sf""##, value: "a\nb\r\\c\"d'e f"),
        .init(line: ##"key "\#{not code}""##, value: "#{not code}"),
        .init(line: ##"key 'it\'s \\ \n'"##, value: #"it's \ \n"#),
        .init(line: ##"key "#{Socket.gethostname}""##, value: "ip-172-31-92-150"),
        .init(line: ##"key "#{ Socket.gethostname }""##, value: "ip-172-31-92-150"),
        .init(line: ##"key "#{ENV['BUCKET']}""##, value: "env-bucket"),
        .init(line: ##"key "#{ENV["BUCKET"]}""##, value: "env-bucket"),
        .init(line: ##"key "#{ENV['HOME']}/logs/#{Socket.gethostname}""##, value: "/home/sluice/logs/ip-172-31-92-150"),
        .init(line: ##"key "#{ENV['UNSET']}""##, value: ""),
        .init(line: ##"key #{ENV['HOME']}"##, value: ""),  // unquoted: the # after a space starts a comment
        .init(line: ##"key x#{ENV['HOME']}"##, value: "x#{ENV['HOME']}"),  // unquoted: not evaluated
        .init(line: "key ünïcødé ✓", value: "ünïcødé ✓"),
    ]

    @Test(arguments: values)
    func parameterValue(_ testCase: ValueCase) throws {
        let (root, log) = Support.read("<source>\n\(testCase.line)\n</source>\n")
        #expect(log.problems.isEmpty, "\(log.problems)")
        let parameter = try #require(root.elements.first?.parameters.first)
        #expect(parameter.name == "key")
        #expect(parameter.value == testCase.value)
        #expect(parameter.location == ConfigLocation(file: "test.conf", line: 2))
    }

    @Test func unsetEnvironmentVariableWarns() {
        let (_, log) = Support.read("<source>\n  key \"#{ENV['UNSET']}\"\n</source>\n")
        #expect(log.problems.isEmpty)
        #expect(log.warnings.map(\.code) == [.undefinedEnvironmentVariable])
        #expect(log.warnings.first?.word == "UNSET")
        #expect(log.warnings.first?.location.line == 2)
    }

    @Test func sectionsNestAtAnyIndentationWithArgumentsAndComments() throws {
        let text = """
            # a whole-line comment
               # an indented comment
            <match  a.**   b.* >  # after a tag
            @type s3
                <buffer tag, time>
              timekey 60
            </buffer>
              </match>
            <system>
            </system>
            """
        let (root, log) = Support.read(text)
        #expect(log.problems.isEmpty, "\(log.problems)")
        #expect(root.elements.map(\.name) == ["match", "system"])
        let match = root.elements[0]
        #expect(match.argument == "a.**   b.*")
        #expect(match.location.line == 3)
        #expect(match.parameters.map(\.name) == ["@type"])
        #expect(match.elements.first?.name == "buffer")
        #expect(match.elements.first?.argument == "tag, time")
        #expect(match.elements.first?.location.line == 5)
        #expect(match.elements.first?.parameters.first?.location.line == 6)
        #expect(root.elements[1].location.line == 9)
    }

    @Test func quotedStringsMaySpanLinesAndLinesKeepCounting() throws {
        let (root, log) = Support.read("<source>\n  a \"one\ntwo\"\n  b 'x'\n</source>\n")
        #expect(log.problems.isEmpty)
        let parameters = try #require(root.elements.first).parameters
        #expect(parameters.map(\.value) == ["one\ntwo", "x"])
        #expect(parameters.map(\.location.line) == [2, 4])
    }

    @Test func crlfLineEndings() throws {
        let (root, log) = Support.read("<source>\r\n  port 5140\r\n</source>\r\n")
        #expect(log.problems.isEmpty)
        #expect(root.elements.first?.parameters.first?.value == "5140")
    }

    /// Every truncation of the fixture either parses or reports problems with real lines; none traps.
    @Test func everyPrefixOfTheFixtureIsHandled() throws {
        let text = try String(contentsOfFile: Support.fixtures + "/td-agent.conf", encoding: .utf8)
        let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
        var failures = 0
        for length in 0...text.utf8.count {
            let prefix = String(decoding: text.utf8.prefix(length), as: UTF8.self)
            let problems = Support.problems(prefix, file: "td-agent.conf")
            failures += problems.isEmpty ? 0 : 1
            #expect(problems.allSatisfy { (1...lineCount).contains($0.location.line) })
        }
        #expect(failures > 0)
    }

    @Test func valuesStartingWithABracketAreJSONAsFluentdReadsThem() throws {
        let (root, log) = Support.read("<match **>\n  list [\"a\",\n    \"b\"]  # two\n  meta {\"owner\":\"soc\"}\n  after 1\n</match>\n")
        #expect(log.problems.isEmpty, "\(log.problems)")
        let match = try #require(root.elements.first)
        #expect(match[parameter: "list"]?.value == "[\"a\",\n    \"b\"]")
        #expect(match[parameter: "meta"]?.value == #"{"owner":"soc"}"#)
        #expect(match[parameter: "after"]?.location.line == 5)
    }

    @Test func aBracketThatIsNotJSONIsAnErrorNamingTheLine() {
        let (_, log) = Support.read("<filter **>\n  @type record_transformer\n  <record>\n    tagged [${tag}] here\n  </record>\n</filter>\n")
        #expect(log.problems.map(\.location.line) == [4])
        #expect(log.problems.first?.message.contains("put the value in quotes") == true)
    }
}
