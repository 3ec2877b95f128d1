import Framing
import NIOCore

/// Any bytes as a RELP stream, fed in pieces whose sizes come from the first byte: frames come out with
/// DATA at most the limit, a malformed frame is an error (the session ends), the decoder never loops
/// or crashes, and the same bytes in other pieces give the same frames.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRELP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let piece = Int(bytes[0] % 64) + 1
    let stream = UnsafeBufferPointer(rebasing: bytes[1...])
    let inPieces = frames(of: stream, piece: piece)
    let whole = frames(of: stream, piece: max(1, stream.count))
    precondition(inPieces == whole, "the frames depend on how the stream was cut")
    return 0
}

private let limit = 64

/// The frames of `stream` fed `piece` bytes at a time, up to the first error (nil in its place).
private func frames(of stream: UnsafeBufferPointer<UInt8>, piece: Int) -> [RELPFrame?] {
    var decoder = RELPFrameDecoder(limit: limit)
    var buffer = ByteBuffer()
    var frames: [RELPFrame?] = []
    var offset = 0
    while offset < stream.count {
        let end = min(offset + piece, stream.count)
        buffer.writeBytes(UnsafeBufferPointer(rebasing: stream[offset..<end]))
        offset = end
        do {
            while let frame = try decoder.decodeNext(from: &buffer) {
                precondition(frame.data.readableBytes <= limit, "DATA over the limit")
                precondition(frame.transaction >= 0 && frame.transaction <= 999_999_999, "transaction number out of range")
                frames.append(frame)
                precondition(frames.count <= stream.count, "more frames than bytes")
            }
        } catch {
            frames.append(nil)
            return frames
        }
    }
    return frames
}
