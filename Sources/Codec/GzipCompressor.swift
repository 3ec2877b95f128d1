import CZlib

/// gzip (RFC 1952) through zlib's deflate, readable by `gzip -d`.
public final class GzipCompressor: StreamCompressor {
    public static let defaultLevel = 6

    /// Heap-allocated: zlib keeps a pointer back to the stream and checks it on every call.
    private let stream: UnsafeMutablePointer<z_stream>
    private var finished = false
    /// deflate writes here first; the caller's array grows only by what was written.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)

    public init(level: Int = GzipCompressor.defaultLevel) throws {
        guard (0...9).contains(level) else {
            throw CompressionError(code: .invalidLevel, detail: "gzip level \(level) is not in 0...9")
        }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of a zlib one.
        let status = deflateInit2_(
            stream, Int32(level), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)
        )
        // On failure deinit still runs (every property is set) and frees the stream.
        guard status == Z_OK else {
            throw CompressionError(code: .zlib, detail: "deflateInit2 returned \(status)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        scratch.deallocate()
    }

    public func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError(code: .finished, detail: "gzip") }
        guard input.count > 0 else { return }
        try run(input, flush: Z_NO_FLUSH, into: &output)
    }

    public func finish(into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError(code: .finished, detail: "gzip") }
        finished = true
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, into: &output)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, into output: inout [UInt8]) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        // The usual zlib loop: while deflate fills the whole step there may be more to come;
        // Z_FINISH goes on until the trailer is out.
        repeat {
            stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(scratch.count)
            let status = deflate(stream, flush)
            let produced = scratch.count - Int(stream.pointee.avail_out)
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<produced]))
            stream.pointee.next_out = nil
            if status == Z_STREAM_END { return }
            guard status == Z_OK || (status == Z_BUF_ERROR && produced > 0) else {
                throw CompressionError(code: .zlib, detail: "deflate returned \(status)")
            }
        } while stream.pointee.avail_out == 0 || flush == Z_FINISH
    }
}
