import Foundation

/// Endpoint resolution with the variables the AWS SDKs read, so a configuration runs unchanged
/// against a local S3 or STS server.
public enum AWSEndpoints {
    /// `s3_endpoint` > `AWS_ENDPOINT_URL_S3` > `AWS_ENDPOINT_URL` > `https://s3.<region>.amazonaws.com`.
    public static func s3(configured: String?, region: String, environment: [String: String]) throws -> URL {
        try resolve(
            service: "s3", configuredName: "s3_endpoint", configured: configured,
            serviceVariable: "AWS_ENDPOINT_URL_S3", region: region, environment: environment
        )
    }

    /// `sts_endpoint_url` > `AWS_ENDPOINT_URL_STS` > `AWS_ENDPOINT_URL` > `https://sts.<region>.amazonaws.com`.
    public static func sts(configured: String?, region: String, environment: [String: String]) throws -> URL {
        try resolve(
            service: "sts", configuredName: "sts_endpoint_url", configured: configured,
            serviceVariable: "AWS_ENDPOINT_URL_STS", region: region, environment: environment
        )
    }

    private static func resolve(
        service: String,
        configuredName: String,
        configured: String?,
        serviceVariable: String,
        region: String,
        environment: [String: String]
    ) throws -> URL {
        let candidates: [(source: String, value: String?)] = [
            (configuredName, configured),
            (serviceVariable, environment[serviceVariable]),
            ("AWS_ENDPOINT_URL", environment["AWS_ENDPOINT_URL"]),
        ]
        for candidate in candidates {
            guard let value = candidate.value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { continue }
            return try parse(value, source: candidate.source)
        }
        guard !region.isEmpty, region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw S3Error(code: .invalidEndpoint, message: "region \"\(region)\" is not a valid AWS region name; check s3_region")
        }
        let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return URL(string: "https://\(service).\(region).\(domain)")!
    }

    private static func parse(_ value: String, source: String) throws -> URL {
        guard let url = URL(string: value),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host(percentEncoded: false), !host.isEmpty
        else {
            throw S3Error(
                code: .invalidEndpoint,
                message: "\(source) \"\(value)\" is not an http:// or https:// URL with a host, such as http://127.0.0.1:9000"
            )
        }
        guard url.query == nil, url.fragment == nil else {
            throw S3Error(code: .invalidEndpoint, message: "\(source) \"\(value)\" must not have a query or fragment")
        }
        return url
    }
}
