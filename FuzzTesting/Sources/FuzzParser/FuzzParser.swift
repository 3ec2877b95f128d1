import Codec
import SyslogProtocol

/// Any bytes as one frame, through every parser configuration: a message or an error, never a crash;
/// and when a message comes out, its JSON record is encoded too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let frame = UnsafeRawBufferPointer(start: data, count: size)
    var out: [UInt8] = []
    for format in [SyslogFormat.auto, .rfc3164, .rfc5424] {
        let parser = SyslogParser(configuration: .init(format: format, utcOffsetSeconds: 3600))
        if let message = try? parser.parse(frame, now: 1_796_000_000) {
            out.removeAll(keepingCapacity: true)
            JSONRecordEncoder.appendRecord(message, frame: frame, to: &out)
            precondition(out.first == UInt8(ascii: "{") && out.suffix(2) == [UInt8(ascii: "}"), 10], "not a JSON line")
        }
    }
    return 0
}
