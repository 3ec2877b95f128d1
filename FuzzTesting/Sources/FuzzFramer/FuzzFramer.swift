import Framing
import NIOCore

/// Any bytes as a TCP stream, fed in pieces whose sizes come from the first byte: frames come out,
/// each at most the limit, the decoder never loops without consuming, never crashes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let piece = Int(bytes[0] % 64) + 1
    let limit = 64
    var decoder = SyslogFrameDecoder(limit: limit)
    var buffer = ByteBuffer()
    var offset = 1
    while offset < size {
        let end = min(offset + piece, size)
        buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[offset..<end]))
        offset = end
        var steps = 0
        decoding: while true {
            let before = buffer.readableBytes
            switch decoder.decodeNext(from: &buffer) {
            case .frame(let frame):
                precondition(frame.bytes.readableBytes <= limit, "a frame over the limit")
            case .progress:
                precondition(buffer.readableBytes < before, "progress without consuming")
            case .needMoreData:
                break decoding
            }
            steps += 1
            precondition(steps <= size + 1, "more steps than bytes")
        }
    }
    _ = decoder.trailingFrame(from: &buffer)
    return 0
}
