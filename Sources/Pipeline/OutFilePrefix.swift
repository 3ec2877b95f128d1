import SluiceConfig

/// out_file's `time<TAB>tag<TAB>` before a record's JSON, written on the direct path: out_s3 without
/// `<format>` writes these lines, and the JSON after them is what the encoder writes anyway.
struct OutFilePrefix: Sendable {
    let outputTime: Bool
    let outputTag: Bool
    let delimiter: [UInt8]
    let timeFormat: String
    let utcOffset: Int64
    /// Whether the time text depends on the second alone (no `%N`, `%L`), so it can be kept per second.
    let perSecond: Bool

    /// The prefix an out_file `<format>` asks for; `utcOffset` is the zone when the format names none.
    init(_ format: FormatConfiguration, utcOffset: Int64) {
        outputTime = format.outputTime
        outputTag = format.outputTag
        delimiter = Array(format.effectiveDelimiter.utf8)
        timeFormat = format.timeFormat ?? RecordTime.defaultFormat(utc: format.utc)
        self.utcOffset = format.utcOffset.map(Int64.init) ?? utcOffset
        perSecond = !timeFormat.contains("N") && !timeFormat.contains("%L")
    }

    /// The time text of the last second written, per worker.
    struct Cache {
        var seconds = Int64.min
        var text: [UInt8] = []
    }

    func append(time: RecordTime, tag: String, to out: inout [UInt8], cache: inout Cache) {
        if outputTime {
            if !perSecond || cache.seconds != time.seconds {
                cache.text = Array(time.formatted(timeFormat, utcOffset: utcOffset).utf8)
                cache.seconds = perSecond ? time.seconds : .min
            }
            out.append(contentsOf: cache.text)
            out.append(contentsOf: delimiter)
        }
        if outputTag {
            out.append(contentsOf: tag.utf8)
            out.append(contentsOf: delimiter)
        }
    }
}
