import NIOCore

/// A framer that `ReadFramer` can drive: frames out of a buffer, one at a time.
package protocol StreamDecoding {
    associatedtype Frame
    /// What a malformed stream throws (`Never` for a framer that resynchronises by itself).
    associatedtype Failure: Error
    /// Bytes from a frame's start within which `nextFrame` hands the frame out (cut to the limit if
    /// need be) or starts discarding it.
    var reach: Int { get }
    /// The next frame in `buffer`, or nil once it needs more bytes. Separators and discarded bytes are
    /// consumed on the way.
    mutating func nextFrame(from buffer: inout ByteBuffer) throws(Failure) -> Frame?
}

/// Cuts the reads of a byte stream into frames, in place: frames are slices of the reads they arrive
/// in, and reads are never copied. Only a frame a read cuts short is, into storage of its own, joined
/// there with as much of the next read as completes it.
///
/// (`ByteToMessageHandler` appends every read to what is left of the last one: a copy of every byte
/// received, and, while frames still share the last read's storage, of that storage too.)
package struct ReadFramer<Decoder: StreamDecoding> {
    package var decoder: Decoder
    /// The start of a frame the last read cut short, in storage of its own.
    package private(set) var carried: ByteBuffer?

    package init(_ decoder: Decoder) {
        self.decoder = decoder
    }

    /// Hands each frame of `read` to `body`, in order.
    package mutating func frames(in read: ByteBuffer, _ body: (Decoder.Frame) -> Void) throws(Decoder.Failure) {
        var read = read
        if var joined = carried {
            carried = nil
            let carriedEnd = joined.writerIndex
            var head = read.readSlice(length: min(read.readableBytes, decoder.reach))!
            joined.writeBuffer(&head)
            while joined.readerIndex < carriedEnd, let frame = try decoder.nextFrame(from: &joined) {
                body(frame)
            }
            if joined.readerIndex >= carriedEnd {
                // The carried frame is out; what was joined beyond it is read from the read itself.
                read.moveReaderIndex(to: read.readerIndex - joined.readableBytes)
            } else {
                // Not out yet (the decoder reaches no further than `reach`, so only when the read ended
                // first): the rest of the read joins it.
                joined.writeBuffer(&read)
                read = joined
            }
        }
        while let frame = try decoder.nextFrame(from: &read) {
            body(frame)
        }
        if read.readableBytes > 0 {
            read.detachUnreadBytes()
            carried = read
        }
    }

    /// Takes what is carried at the end of the stream (the start of a frame never completed).
    package mutating func takeCarried() -> ByteBuffer? {
        defer { carried = nil }
        return carried
    }
}

extension SyslogFrameDecoder: StreamDecoding {
    package typealias Failure = Never

    /// The limit, and an octet count with its space.
    package var reach: Int { limit + 16 }

    package mutating func nextFrame(from buffer: inout ByteBuffer) -> DecodedFrame? {
        while true {
            switch decodeNext(from: &buffer) {
            case .frame(let frame): return frame
            case .progress: continue
            case .needMoreData: return nil
            }
        }
    }
}

extension RELPFrameDecoder: StreamDecoding {
    package typealias Failure = RELPProtocolError

    /// The longest header (transaction number, command, length and their spaces), the limit and the LF.
    package var reach: Int { Self.maximumDigits * 2 + Self.maximumCommandLength + 3 + limit + 1 }

    package mutating func nextFrame(from buffer: inout ByteBuffer) throws(RELPProtocolError) -> RELPFrame? {
        do {
            return try decodeNext(from: &buffer)
        } catch let error as RELPProtocolError {
            throw error
        } catch {
            throw RELPProtocolError(detail: "\(error)")
        }
    }
}
