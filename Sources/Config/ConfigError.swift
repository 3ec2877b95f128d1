/// One thing wrong (or, in ``SluiceConfiguration/warnings``, doubtful) in a configuration.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem. New codes may be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case syntax
            case unknownDirective
            case unsupportedDirective
            case unknownSection
            case duplicateSection
            case unknownType
            case unknownParameter
            case missingParameter
            case badValue
            case duplicateParameter
            case conflictingSettings
            case unclosedSection
            case mismatchedCloseTag
            case unexpectedCloseTag
            case unsupportedEmbeddedCode
            case includeFailed
            case includeCycle
            case unreadableFile
            // Warnings.
            case unreachableMatch
            case unmatchedSourceTag
            case undefinedEnvironmentVariable
            case emptyInclude
            case noEffectYet
            case missingFormat
            case deprecatedParameter
            case compatibilityMapped
            case duplicateParameterReplaced
            case noEffect
            case unsupportedParameter
            case unsupportedPlugin
            case unusedParameter
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        public var description: String { base.rawValue }

        /// The text cannot be read as Fluentd configuration: a missing `>`, an unterminated string, text after a quoted value.
        public static let syntax = Code(.syntax)
        /// A top-level directive other than `<source>`, `<match>`, `<system>`.
        public static let unknownDirective = Code(.unknownDirective)
        /// A Fluentd directive Sluice does not implement (`<filter>`, `<label>`, `<worker>`).
        public static let unsupportedDirective = Code(.unsupportedDirective)
        /// A nested section the enclosing section does not take.
        public static let unknownSection = Code(.unknownSection)
        /// A nested section given twice where only one is allowed.
        public static let duplicateSection = Code(.duplicateSection)
        /// An `@type` Sluice does not implement.
        public static let unknownType = Code(.unknownType)
        /// A parameter the section does not take.
        public static let unknownParameter = Code(.unknownParameter)
        /// A required parameter (or `@type`) is absent.
        public static let missingParameter = Code(.missingParameter)
        /// A value of the wrong type or out of range.
        public static let badValue = Code(.badValue)
        /// The same parameter twice in one section.
        public static let duplicateParameter = Code(.duplicateParameter)
        /// Two settings that cannot be given together (two credential sources in one `<match>`).
        public static let conflictingSettings = Code(.conflictingSettings)
        /// A section opened and never closed; the location is where it opened.
        public static let unclosedSection = Code(.unclosedSection)
        /// A close tag that names no open section.
        public static let mismatchedCloseTag = Code(.mismatchedCloseTag)
        /// A close tag with no section open.
        public static let unexpectedCloseTag = Code(.unexpectedCloseTag)
        /// `#{...}` other than `Socket.gethostname` or `ENV['NAME']`.
        public static let unsupportedEmbeddedCode = Code(.unsupportedEmbeddedCode)
        /// An `@include` whose file cannot be read.
        public static let includeFailed = Code(.includeFailed)
        /// An `@include` that includes a file already being read.
        public static let includeCycle = Code(.includeCycle)
        /// The configuration file itself cannot be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// Warning: an earlier `<match>` catches every tag this one could.
        public static let unreachableMatch = Code(.unreachableMatch)
        /// Warning: some or all tags a `<source>` emits reach no `<match>`.
        public static let unmatchedSourceTag = Code(.unmatchedSourceTag)
        /// Warning: `#{ENV['NAME']}` names a variable that is not set (it reads as "", as in Fluentd).
        public static let undefinedEnvironmentVariable = Code(.undefinedEnvironmentVariable)
        /// Warning: an `@include` glob that matches no file.
        public static let emptyInclude = Code(.emptyInclude)
        /// Warning: a Fluentd parameter Sluice reads and validates but does not act on yet.
        public static let noEffectYet = Code(.noEffectYet)
        /// `<match @type s3>` without `<format>`: Fluentd would write out_file lines, Sluice writes JSON.
        public static let missingFormat = Code(.missingFormat)
        /// Warning: a Fluentd v0.12 name (`type`, `id`, `log_level`) read as its v1 name.
        public static let deprecatedParameter = Code(.deprecatedParameter)
        /// Warning: v0.12 `<match>` or `<source>` parameters moved into the v1 sections Fluentd builds from them.
        public static let compatibilityMapped = Code(.compatibilityMapped)
        /// Warning: a parameter given twice in one section; the last one is used, as in Fluentd.
        public static let duplicateParameterReplaced = Code(.duplicateParameterReplaced)
        /// Warning: a Fluentd parameter that has nothing to act on in Sluice (a process or plugin detail).
        public static let noEffect = Code(.noEffect)
        /// A Fluentd parameter whose effect Sluice cannot give, where going on without it could lose,
        /// misplace or expose data.
        public static let unsupportedParameter = Code(.unsupportedParameter)
        /// A Fluentd plugin that Sluice does not run (in_tail, out_elasticsearch, ...).
        public static let unsupportedPlugin = Code(.unsupportedPlugin)
        /// Warning: a parameter of other Fluentd outputs or formatters, left on this one; Fluentd ignores it too.
        public static let unusedParameter = Code(.unusedParameter)
    }

    public var code: Code
    public var location: ConfigLocation
    /// The word the problem is about: a parameter or section name, a value, a path.
    public var word: String
    public var message: String

    public init(code: Code, location: ConfigLocation, word: String, message: String) {
        self.code = code
        self.location = location
        self.word = word
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// Every problem found in a configuration; nothing is started while there is one.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]
    /// What of the file was read without problems: the part that would run were the rest removed.
    public var readable: SluiceConfiguration?

    public init(problems: [ConfigProblem], readable: SluiceConfiguration? = nil) {
        self.problems = problems
        self.readable = readable
    }

    /// One line per problem, `file:line: message`.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
