/// `<instance_profile_credentials>`: the EC2 instance profile's credentials from the instance
/// metadata service (IMDSv2), as fluent-plugin-s3; the defaults are the AWS SDK for Ruby's.
public struct InstanceProfileConfiguration: Sendable, Hashable {
    /// `retries`: further attempts after a request gets no answer or a 5xx; default 1.
    public var retries: Int = 1
    /// `ip_address`; when nil (and `port` too), `AWS_EC2_METADATA_SERVICE_ENDPOINT` or 169.254.169.254.
    public var ipAddress: String?
    /// `port`; default 80.
    public var port: Int?
    /// `http_open_timeout`: seconds to connect; default 1.
    public var httpOpenTimeout: Duration = .seconds(1)
    /// `http_read_timeout`: seconds to wait for an answer; default 1.
    public var httpReadTimeout: Duration = .seconds(1)
    public var location: ConfigLocation

    public init(location: ConfigLocation) {
        self.location = location
    }

    static let parameters = ["retries", "ip_address", "port", "http_open_timeout", "http_read_timeout"]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(element, known: Self.parameters, log: log)
        location = element.location
        if let value = reader.integer("retries", in: 0...10) { retries = value }
        ipAddress = reader.read("ip_address", expected: "an IP address or host name") { text in
            !text.isEmpty && text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".:-".contains($0)) }) ? text : nil
        }
        port = reader.integer("port", in: 1...65535)
        let timeouts = ClosedRange<Duration>(uncheckedBounds: (.milliseconds(1), .seconds(300)))
        for (name, keyPath) in [("http_open_timeout", \Self.httpOpenTimeout), ("http_read_timeout", \Self.httpReadTimeout)] {
            if let value = reader.read(name, expected: "seconds, more than 0 and at most 300 (like 1 or 0.5)", {
                ConfigValue.time($0).flatMap { timeouts.contains($0) ? $0 : nil }
            }) {
                self[keyPath: keyPath] = value
            }
        }
    }
}
