/// Why a load run could not start or ended early.
public struct LoadGenError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A setting is out of range or contradicts another; the detail names the option.
        public static let invalidConfiguration = Code("invalid configuration")
        /// The corpus file cannot be read or holds no line.
        public static let unreadableCorpus = Code("unreadable corpus")
        /// A connection could not be opened (nothing listening, no route, time-out).
        public static let connectFailed = Code("could not connect")
    }

    public var code: Code
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
