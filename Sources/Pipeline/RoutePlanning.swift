import Foundation
import SluiceConfig

/// Turns the configuration's routes into what parser workers follow per tag: the direct output of
/// plain JSON lines, or the filters and formatters of the slow path.
struct RoutePlanning: Sendable {
    let configuration: SluiceConfiguration
    let formatters: [RecordFormatter]
    let filters: [FilterConfiguration: RecordFilter]

    init(configuration: SluiceConfiguration, hostname: String) throws {
        self.configuration = configuration
        let localOffset = Int64(TimeZone.current.secondsFromGMT())
        formatters = configuration.matches.map { match in
            let layout: RecordFormatter.Layout
            switch match.output {
            case .s3(let s3): layout = .format(s3.format)
            case .file(let file): layout = .format(file.format)
            case .stdout(let format): layout = format.map(RecordFormatter.Layout.format) ?? .stdout(nil)
            case .null: layout = .format(FormatConfiguration())
            }
            return RecordFormatter(layout: layout, inject: match.inject, hostname: hostname, localOffset: localOffset)
        }
        var filters: [FilterConfiguration: RecordFilter] = [:]
        let scopes = [configuration.routing.root] + configuration.routing.labels.values
        for case .filter(let filter) in scopes.joined() where filters[filter] == nil {
            do {
                filters[filter] = try RecordFilter(filter, hostname: hostname, localOffset: localOffset)
            } catch {
                throw PipelineError(code: .invalidSetting, detail: "\(filter.location): <filter>: \(error)")
            }
        }
        self.filters = filters
    }

    /// Every stdout output prints through the first: one writer, so a record copied to several
    /// prints its lines in store order, as Fluentd's copy does.
    private func sink(of output: Int) -> Int {
        guard case .stdout = configuration.matches[output].output else { return output }
        return configuration.matches.firstIndex { if case .stdout = $0.output { true } else { false } } ?? output
    }

    func plan(tag: String, label: String?) -> SlotPlan {
        let routes = configuration.routes(tag: tag, label: label)
        guard let first = routes.first else { return .none }
        if routes.count == 1, first.filters.isEmpty {
            if formatters[first.output].isPlainJSON { return .direct(first.output) }
            if let prefix = formatters[first.output].outFilePrefix { return .directOutFile(first.output, prefix) }
        }
        return .transformed(routes.map { route in
            RoutePlan(output: sink(of: route.output), filters: route.filters.compactMap { filters[$0] }, formatter: formatters[route.output])
        })
    }
}
