import Foundation
import Testing

@testable import SluiceConfig

/// The configurations of Fixtures/config/real-style/, written in the shapes td-agent files take in
/// the wild (v0.12 leftovers, Chef and Ansible templates, Kubernetes ConfigMaps, rsyslog aggregators).
enum RealStyle {
    static let directory = Support.fixtures + "/real-style"
    static let hostname = "collector-3.example.internal"

    /// What a DaemonSet would set; the k8s fixture is also read with other environments.
    static let environment = [
        "S3_BUCKET_NAME": "k8s-node-logs-blue", "CLUSTER_NAME": "blue", "NODE_NAME": "ip-10-0-3-17",
        "FLUENT_S3_FLUSH_THREADS": "6",
    ]

    static func load(_ name: String, environment: [String: String] = environment) throws(ConfigError) -> SluiceConfiguration {
        try SluiceConfiguration.load(path: directory + "/" + name, environment: environment, hostname: hostname)
    }

    /// The problems of a fixture that is expected to fail.
    static func error(_ name: String, environment: [String: String] = environment) -> ConfigError? {
        do {
            _ = try load(name, environment: environment)
            return nil
        } catch {
            return error
        }
    }
}

extension SluiceConfiguration {
    /// The outputs `tag` reaches, by `@id` (or `@type` when it has none).
    func outputNames(tag: String, label: String? = nil) -> [String] {
        routes(tag: tag, label: label).map { matches[$0.output].name }
    }

    /// The filters `tag` passes through on each of its routes, by type.
    func filterNames(tag: String, label: String? = nil) -> [[String]] {
        routes(tag: tag, label: label).map { $0.filters.map(\.typeName) }
    }

    var warningCodes: [String] { warnings.map(\.code.description) }
}

extension MatchConfiguration {
    var name: String {
        if let id { return id }
        switch output {
        case .s3: return "s3"
        case .file: return "file"
        case .stdout: return "stdout"
        case .null: return "null"
        }
    }

    var s3: S3OutputConfiguration? {
        if case .s3(let s3) = output { return s3 }
        return nil
    }

    var file: FileOutputConfiguration? {
        if case .file(let file) = output { return file }
        return nil
    }
}

extension FilterConfiguration {
    var typeName: String {
        switch kind {
        case .grep: "grep"
        case .recordTransformer: "record_transformer"
        case .stdout: "stdout"
        }
    }

    var grep: GrepFilter? {
        if case .grep(let grep) = kind { return grep }
        return nil
    }

    var transformer: RecordTransformer? {
        if case .recordTransformer(let transformer) = kind { return transformer }
        return nil
    }
}

extension GrepFilter {
    /// Whether a record passes, matching with the conditions' own regular expressions.
    func keeps(_ record: [String: String]) -> Bool {
        keeps({ record[$0] }) { condition, value in
            guard let expression = try? condition.regularExpression() else { return false }
            return expression.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
        }
    }
}
